() => {
  // Runs once when the page loads. Gradio draws most of the markup, so what it leaves unnamed or unannounced is
  // patched here, again whenever it redraws. __UI_LANGUAGE__ and __STATUS_IDS__ are filled in by service/ui.py.
  document.documentElement.lang = "__UI_LANGUAGE__";
  const statusIds = __STATUS_IDS__;

  const announcer = document.createElement("div");
  announcer.id = "a11y-announcer";
  announcer.className = "sr-only";
  announcer.setAttribute("role", "status");
  announcer.setAttribute("aria-live", "polite");
  document.body.appendChild(announcer);

  const setAttr = (el, name, value) => { if (el.getAttribute(name) !== value) el.setAttribute(name, value); };

  function patch() {
    // Messages (errors, notices, upload and delete results) are read out when they change, not only shown.
    for (const id of statusIds) {
      const el = document.getElementById(id);
      if (el) { setAttr(el, "role", "alert"); setAttr(el, "aria-atomic", "true"); }
    }
    // Chat messages: Gradio labels each with its raw Markdown; without the label the text is read as shown,
    // in the language its markup declares.
    for (const el of document.querySelectorAll("#chat [data-testid=bot][aria-label], #chat [data-testid=user][aria-label]"))
      el.removeAttribute("aria-label");
    // An icon button Gradio leaves with an empty name gets the one its title or icon implies, else is hidden.
    for (const el of document.querySelectorAll("button[aria-label='']")) {
      if (el.title) setAttr(el, "aria-label", el.title);
      else el.removeAttribute("aria-label");
    }
    // A dropdown's open option list scrolls, so Chromium puts it in the Tab order; it closes as focus leaves the
    // input, and focus fell to the page. The options are chosen with the arrow keys from the input instead.
    for (const el of document.querySelectorAll("div.options:has(> ul[role=listbox]), div.options > ul[role=listbox]"))
      setAttr(el, "tabindex", "-1");
    // The upload area's name must contain the words it shows ("Drop File Here - or - Click to Upload").
    for (const el of document.querySelectorAll("#upload button.upload-container[aria-label]")) {
      const shown = el.innerText.replace(/\s+/g, " ").trim();
      if (shown && !el.getAttribute("aria-label").startsWith(shown)) setAttr(el, "aria-label", shown);
    }
  }
  patch();
  new MutationObserver(patch).observe(document.body, {childList: true, subtree: true, attributes: true,
                                                      attributeFilter: ["aria-label"]});

  function announce(text) {
    // Emptied first, so the same words said twice in a row are announced twice.
    announcer.textContent = "";
    setTimeout(() => { announcer.textContent = text; }, 100);
  }

  // Waits for `find` to return an element (Gradio draws the new value a moment after the event ends).
  function whenReady(find, then, tries = 50) {
    const el = find();
    if (el) then(el);
    else if (tries > 0) setTimeout(() => whenReady(find, then, tries - 1), 100);
  }

  window.helpdeskA11y = {
    announce,
    // The new answer takes the focus, and the live region says it has arrived. Called after every ask; an
    // answer already announced (the ask was refused before reaching the chat) is left alone.
    answerArrived(message) {
      whenReady(() => {
        const bots = document.querySelectorAll("#chat [data-testid=bot]");
        const last = bots[bots.length - 1];
        if (!last || /Working…/.test(last.innerText)) return null;
        return last;
      }, (last) => {
        if (last.helpdeskAnnounced === last.innerText) return;
        last.helpdeskAnnounced = last.innerText;
        const el = last.querySelector(".answer") || last.querySelector(".message-content") || last;
        el.setAttribute("tabindex", "-1");
        el.focus();
        announce(message);
      });
    },
    // The draft box takes the focus when the draft is in.
    draftArrived(message) {
      whenReady(() => document.querySelector("#draft textarea"), (el) => { el.focus(); announce(message); });
    },
  };
}
