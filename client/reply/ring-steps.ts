// Which step of the ring plan runs, as the caller's page shows it while the
// call rings: the most active device, every device, the phone. Steps before
// the current one are marked done; the list goes once the call is answered
// or over.
import type { CallerStage } from '../../protocol/caller-stage.js';
import { h, show } from '../shared/dom.js';

const STEPS = ['ringing', 'ringing_others', 'calling_phone'] as const;
type RingStep = (typeof STEPS)[number];

function isStep(stage: CallerStage): stage is RingStep {
  return (STEPS as readonly CallerStage[]).includes(stage);
}

export class RingSteps {
  readonly #list: HTMLOListElement;
  readonly #items: Map<RingStep, HTMLLIElement>;

  constructor(list: HTMLOListElement, senderName: () => string) {
    this.#list = list;
    const label: Record<RingStep, () => string> = {
      ringing: () => `${senderName()}'s most active device`,
      ringing_others: () => `All of ${senderName()}'s devices`,
      calling_phone: () => `${senderName()}'s phone`,
    };
    this.#items = new Map(
      STEPS.map((step) => [step, h('li', { 'data-step': step }, label[step]())] as const),
    );
    this.#relabel = () => {
      for (const [step, item] of this.#items) item.textContent = label[step]();
    };
    list.replaceChildren(...this.#items.values());
  }

  readonly #relabel: () => void;

  /** The call is at `stage`: a ring step is marked current, anything else hides the list. */
  show(stage: CallerStage): void {
    if (!isStep(stage)) {
      show(this.#list, false);
      return;
    }
    this.#relabel();
    const at = STEPS.indexOf(stage);
    for (const [index, step] of STEPS.entries()) {
      const item = this.#items.get(step);
      if (!item) continue;
      if (index === at) item.setAttribute('aria-current', 'step');
      else item.removeAttribute('aria-current');
      item.dataset.done = String(index < at);
    }
    show(this.#list, true);
  }

  hide(): void {
    show(this.#list, false);
  }
}
