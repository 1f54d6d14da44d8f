// "Asked to be called back": recipients whose reply page asked the sender to
// call when free. The list comes over the socket (callback:list, then
// callbacks:list on every change). Call rings the recipient's open reply
// page; when it answers, the page's call rings this device, which answers it
// at once (CallUi.expectCallBack; ADR 024). Dismiss drops a request.
import type { CallbackRequestView } from '../../protocol/callback.js';
import { unwrap } from '../shared/ack.js';
import type { VoxClientSocket } from '../shared/connection.js';
import { byId, h, show, timeAgo } from '../shared/dom.js';

/** How long the desk waits for the page to answer before saying so. */
const ANSWER_WAIT_MS = 60_000;

export class CallBacks {
  readonly #socket: VoxClientSocket;
  /** Expects the page's call for this request, to answer it without a dialog. */
  readonly #expect: (requestId: number | undefined) => void;
  readonly #ui = {
    section: byId('callbacks'),
    list: byId<HTMLUListElement>('callback-list'),
    status: byId('callback-status'),
  };
  #waiting: number | undefined;

  constructor(socket: VoxClientSocket, expect: (requestId: number | undefined) => void) {
    this.#socket = socket;
    this.#expect = expect;
    socket.on('callbacks:list', (requests) => this.#render(requests));
    // After every (re)connect: the list may have changed meanwhile.
    socket.on('connect', () => void this.refresh());
  }

  async refresh(): Promise<void> {
    try {
      this.#render(unwrap(await this.#socket.emitWithAck('callback:list', {})));
    } catch (error) {
      this.#ui.status.textContent = error instanceof Error ? error.message : String(error);
    }
  }

  /** The call-back was answered and is this device's call now. */
  answered(): void {
    window.clearTimeout(this.#waiting);
    this.#ui.status.textContent = '';
  }

  #render(requests: CallbackRequestView[]): void {
    show(this.#ui.section, requests.length > 0);
    this.#ui.list.replaceChildren(...requests.map((request) => this.#row(request)));
  }

  #row(request: CallbackRequestView): HTMLLIElement {
    const call = h('button', { type: 'button', class: 'primary' }, 'Call');
    call.setAttribute('aria-label', `Call ${request.callerName} back`);
    call.addEventListener('click', () => void this.#call(request));
    const dismiss = h('button', { type: 'button' }, 'Dismiss');
    dismiss.setAttribute('aria-label', `Dismiss ${request.callerName}'s request`);
    dismiss.addEventListener('click', () => {
      void this.#socket
        .emitWithAck('callback:dismiss', { requestId: request.id })
        .then((ack) => unwrap(ack));
    });
    const when = `${timeAgo(request.requestedAt)}${request.notifiedAt ? ', told you are free' : ''}`;
    return h(
      'li',
      { 'data-request-id': String(request.id), 'data-page-open': String(request.pageOpen) },
      h('span', {}, `${request.callerName} asked to be called back`),
      request.subject ? h('span', { class: 'muted' }, ` · About: ${request.subject}`) : null,
      h('span', { class: 'muted' }, ` · ${when}`),
      request.pageOpen ? null : h('span', { class: 'muted' }, ' · their page is closed'),
      ' ',
      call,
      ' ',
      dismiss,
    );
  }

  async #call(request: CallbackRequestView): Promise<void> {
    const status = this.#ui.status;
    window.clearTimeout(this.#waiting);
    this.#expect(request.id);
    try {
      const { reached } = unwrap(
        await this.#socket.emitWithAck('callback:call', { requestId: request.id }),
      );
      if (reached === 0) {
        this.#expect(undefined);
        status.textContent = `${request.callerName}'s reply page is closed: nobody to ring.`;
        return;
      }
      status.textContent = `Ringing ${request.callerName}'s reply page…`;
      this.#waiting = window.setTimeout(() => {
        this.#expect(undefined);
        status.textContent = `${request.callerName} did not answer.`;
      }, ANSWER_WAIT_MS);
    } catch (error) {
      this.#expect(undefined);
      status.textContent = error instanceof Error ? error.message : String(error);
    }
  }
}
