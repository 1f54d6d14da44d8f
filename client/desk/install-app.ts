// "Install app": where the browser offers to install the desk (Chromium's
// beforeinstallprompt), a button of our own does it at the person's choice
// instead of the browser's banner.

/** Chromium's event; not in TypeScript's DOM types (not a standard). */
interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<void>;
}

export function offerInstall(button: HTMLButtonElement): void {
  let offer: BeforeInstallPromptEvent | undefined;
  window.addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault();
    offer = event as BeforeInstallPromptEvent;
    button.hidden = false;
  });
  button.addEventListener('click', () => {
    // An offer prompts once; the browser fires a new event if it may ask again.
    const prompt = offer;
    offer = undefined;
    button.hidden = true;
    void prompt?.prompt();
  });
  window.addEventListener('appinstalled', () => {
    offer = undefined;
    button.hidden = true;
  });
}
