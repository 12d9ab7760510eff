/*
 * ParkChat: the embeddable chat widget of the park's investment-promotion bot (Rasa, socket.io).
 *
 * Plain ES2018, no framework, no build step. Embed with one tag:
 *   <script src="https://park.example/parkchat.js" defer></script>
 * Options come from window.ParkChatConfig, data-* attributes on that tag, or the serving site's
 * /config.js (see docs/widget.md).
 *
 * Security rule for this file: untrusted text (user input, bot replies, stored history) reaches
 * the page only through text nodes / textContent, never through innerHTML.
 */
(function () {
  "use strict";

  if (window.ParkChat && window.ParkChat.version) return; // included twice: keep the first

  const VERSION = "1.0.0";
  const MAX_INPUT = 500; // courtesy cap; the server-side channel enforces its own
  const COUNT_FROM = 400; // the character counter shows from here, before the cap is hit
  const MAX_HISTORY = 200; // messages kept in localStorage
  const MAX_BUTTONS = 10;
  const MAX_SOURCES = 8;
  const REPLY_TIMEOUT_MS = 30000;
  const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;
  const MESSAGE_ID = /^[A-Za-z0-9_-]{1,64}$/; // an answer's id in the question log (for feedback)
  const MAX_REASON = 500; // what POST /api/feedback accepts
  const SCRIPT = document.currentScript;
  const BASE_URL = new URL(".", (SCRIPT && SCRIPT.src) || location.href).href;

  const STRINGS = {
    zh: {
      title: "园区招商助手",
      open: "打开在线咨询",
      launcher: "在线咨询",
      close: "关闭对话窗口",
      newChat: "新对话",
      newChatLabel: "开始新的对话并清除本机记录",
      placeholder: "请输入您的问题…",
      inputLabel: "输入您的问题",
      send: "发送",
      welcome: "您好！我是园区招商助手，可以回答关于园区、产业与政策的问题。",
      typing: "助手正在回复",
      offline: "暂时无法连接服务器，正在自动重试…",
      retry: "立即重试",
      noReply: "服务器暂未回复，请稍后再试。",
      notConfigured: "聊天服务尚未配置。",
      sources: "来源",
      original: "查看原文",
      you: "您：",
      bot: "助手：",
      log: "对话记录",
      helpful: "有帮助",
      notHelpful: "没有帮助",
      reasonLabel: "哪里不对？（可选）",
      reasonSend: "提交",
      thanks: "感谢您的反馈！",
      voteFailed: "反馈未能提交，请稍后再试。",
      count: "{n}/{max} 字",
      full: "已达 {max} 字上限，请精简后发送",
    },
    en: {
      title: "Park Investment Assistant",
      open: "Chat with us: open the chat window",
      launcher: "Chat with us",
      close: "Close chat",
      newChat: "New chat",
      newChatLabel: "Start a new conversation and clear the saved one",
      placeholder: "Ask a question…",
      inputLabel: "Your question",
      send: "Send",
      welcome: "Hello! I can answer questions about the park, its industries and its policies.",
      typing: "The assistant is typing",
      offline: "Cannot reach the server. Retrying automatically…",
      retry: "Retry now",
      noReply: "No reply from the server yet. Please try again later.",
      notConfigured: "The chat service is not configured.",
      sources: "Sources",
      original: "Open the original",
      you: "You: ",
      bot: "Assistant: ",
      log: "Conversation",
      helpful: "Helpful",
      notHelpful: "Not helpful",
      reasonLabel: "What was wrong? (optional)",
      reasonSend: "Send",
      thanks: "Thank you for your feedback!",
      voteFailed: "Your feedback could not be sent. Please try again later.",
      count: "{n}/{max} characters",
      full: "{max}-character limit reached: please shorten your question",
    },
  };

  // ---------------------------------------------------------------- small helpers

  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  const str = (v, max) => (typeof v === "string" ? v.slice(0, max || 20000) : "");

  /** Builds an element. Children that are not Nodes become text nodes (never parsed as HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (typeof value === "function") node.addEventListener(key.replace(/^on/, ""), value);
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    appendAll(node, children);
    return node;
  }

  function appendAll(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false || child === "") continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  function svgIcon(pathData) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", pathData);
    svg.append(path);
    return svg;
  }

  const ICON_CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
  const ICON_CLOSE = "M6 6l12 12M18 6L6 18";
  const ICON_SEND = "M3 20l18-8L3 4v6l12 2-12 2z";

  /** A link only for http(s)/mailto URLs; anything else stays plain text. */
  function safeLink(url, label) {
    let parsed;
    try {
      parsed = new URL(url);
    } catch (e) {
      return null;
    }
    if (!["http:", "https:", "mailto:"].includes(parsed.protocol)) return null;
    return el("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer nofollow" }, label);
  }

  // ---------------------------------------------------------------- light markdown

  // **bold**, [label](url), bare http(s) URLs; everything else is text.
  const INLINE =
    /\*\*([^*\n]+?)\*\*|\[([^\]\n]{1,300})\]\(([^)\s]{1,2000})\)|(https?:\/\/[^\s<>"'，。；！？）】]+)/g;

  function appendInline(parent, line) {
    INLINE.lastIndex = 0;
    let last = 0;
    let m;
    while ((m = INLINE.exec(line)) !== null) {
      appendAll(parent, [line.slice(last, m.index)]);
      if (m[1] !== undefined) {
        parent.append(el("strong", {}, m[1]));
      } else if (m[2] !== undefined) {
        parent.append(safeLink(m[3], m[2]) || document.createTextNode(m[0]));
      } else {
        const url = m[4].replace(/[.,;:!?)\]]+$/, ""); // trailing punctuation is not the URL's
        parent.append(safeLink(url, url) || document.createTextNode(url));
        appendAll(parent, [m[4].slice(url.length)]);
      }
      last = m.index + m[0].length;
    }
    appendAll(parent, [line.slice(last)]);
  }

  function renderMarkdown(text) {
    const frag = document.createDocumentFragment();
    text.split("\n").forEach((raw, i) => {
      if (i > 0) frag.append(document.createElement("br"));
      let line = raw;
      const bullet = /^\s*[-*•]\s+/.exec(line);
      if (bullet) {
        frag.append(document.createTextNode("• "));
        line = line.slice(bullet[0].length);
      }
      appendInline(frag, line);
    });
    return frag;
  }

  // ---------------------------------------------------------------- message model

  function cleanButtons(raw) {
    if (!Array.isArray(raw)) return [];
    return raw
      .filter(isObject)
      .map((b) => ({ title: str(b.title, 200), payload: str(b.payload, 1000) }))
      .filter((b) => b.title && b.payload)
      .slice(0, MAX_BUTTONS);
  }

  /** An http(s) URL as the browser serialises it, or "" (no javascript:, data: or relative URLs). */
  function httpUrl(raw) {
    try {
      const parsed = new URL(str(raw, 4000));
      return ["http:", "https:"].includes(parsed.protocol) ? parsed.href : "";
    } catch (e) {
      return "";
    }
  }

  function cleanSources(raw) {
    if (!Array.isArray(raw)) return [];
    return raw
      .filter(isObject)
      .map((s) => ({
        title: str(s.title, 300),
        section: str(s.section, 300),
        text: str(s.text, 5000),
        sentence: str(s.sentence, 2000),
        source: str(s.source, 1000),
        publisher: str(s.publisher, 200),
        published: /^\d{4}-\d{2}-\d{2}$/.test(str(s.published)) ? str(s.published) : "",
        url: httpUrl(s.url),
        link: httpUrl(s.link),
      }))
      .filter((s) => s.title || s.section || s.text || s.source)
      .slice(0, MAX_SOURCES);
  }

  /**
   * Normalises one `bot_uttered` payload. Rasa's socketio output sends text (split at blank
   * lines), `quick_replies` for buttons, and custom JSON either as `{custom: {...}}` or spread
   * at the top level; all of these shapes are accepted.
   */
  function fromBot(data) {
    if (typeof data === "string") return data.trim() ? { role: "bot", text: str(data) } : null;
    if (!isObject(data)) return null;
    const custom = isObject(data.custom) ? data.custom : data;
    const msg = {
      role: "bot",
      text: str(data.text) || str(custom.text),
      buttons: cleanButtons(data.quick_replies || data.buttons || custom.buttons),
      sources: cleanSources(custom.sources),
    };
    if (typeof custom.grounded === "boolean") msg.grounded = custom.grounded;
    if (MESSAGE_ID.test(str(custom.message_id, 64))) msg.messageId = custom.message_id;
    const empty = !msg.text && !msg.buttons.length && !msg.sources.length;
    return empty && msg.grounded === undefined ? null : msg;
  }

  /** Re-validates a message read back from localStorage (it may be stale or tampered with). */
  function fromStorage(raw) {
    if (!isObject(raw)) return null;
    if (raw.role === "user") return str(raw.text) ? { role: "user", text: str(raw.text) } : null;
    if (raw.role === "bot") {
      const msg = fromBot(raw);
      if (msg && typeof raw.grounded === "boolean") msg.grounded = raw.grounded;
      if (msg && MESSAGE_ID.test(str(raw.messageId, 64))) msg.messageId = raw.messageId;
      if (msg && (raw.vote === 1 || raw.vote === -1)) msg.vote = raw.vote;
      return msg;
    }
    return null;
  }

  // ---------------------------------------------------------------- persistence

  function createStore(key) {
    function load() {
      try {
        const raw = JSON.parse(window.localStorage.getItem(key) || "null");
        if (!isObject(raw)) return null;
        const messages = Array.isArray(raw.messages) ? raw.messages.map(fromStorage) : [];
        return {
          sessionId: SESSION_ID.test(raw.sessionId || "") ? raw.sessionId : null,
          messages: messages.filter(Boolean).slice(-MAX_HISTORY),
        };
      } catch (e) {
        return null; // corrupt JSON or storage disabled: start afresh
      }
    }
    let state = load() || { sessionId: null, messages: [] };
    function save() {
      try {
        window.localStorage.setItem(key, JSON.stringify(state));
      } catch (e) {
        // quota exceeded or storage blocked: the conversation still works, it just won't persist
      }
    }
    return {
      get sessionId() {
        return state.sessionId;
      },
      get messages() {
        return state.messages;
      },
      setSessionId(id) {
        state.sessionId = id;
        save();
      },
      add(msg) {
        state.messages.push(msg);
        if (state.messages.length > MAX_HISTORY)
          state.messages.splice(0, state.messages.length - MAX_HISTORY);
        save();
      },
      save,
      clear() {
        state = { sessionId: null, messages: [] };
        save();
      },
    };
  }

  // ---------------------------------------------------------------- connection (Rasa socketio)

  function createConnection(cfg, store, handlers) {
    let socket = null;
    let confirmed = false;
    const queue = [];

    function flush() {
      while (confirmed && queue.length) {
        socket.emit("user_uttered", { message: queue.shift(), session_id: store.sessionId });
      }
    }

    function start() {
      if (socket) return;
      socket = cfg.io(cfg.origin, {
        path: cfg.socketPath,
        transports: ["websocket", "polling"],
        tryAllTransports: true,
        reconnectionDelay: 1000,
        reconnectionDelayMax: 10000,
        timeout: 10000,
      });
      // Rasa with session_persistence drops messages without a session id: ask for one first,
      // re-using the stored id so the conversation survives reloads.
      socket.on("connect", () => {
        confirmed = false;
        socket.emit("session_request", { session_id: store.sessionId });
      });
      socket.on("session_confirm", (data) => {
        const id = typeof data === "string" ? data : isObject(data) ? data.session_id : null;
        if (typeof id !== "string" || !SESSION_ID.test(id)) return;
        if (id !== store.sessionId) store.setSessionId(id);
        confirmed = true;
        handlers.onStatus("online");
        flush();
      });
      socket.on("bot_uttered", (data) => handlers.onBotMessage(data));
      socket.on("connect_error", () => handlers.onStatus("offline"));
      socket.on("disconnect", (reason) => {
        confirmed = false;
        if (reason === "io client disconnect") return;
        handlers.onStatus("offline");
        if (reason === "io server disconnect") socket.connect(); // the client won't by itself
      });
    }

    return {
      start,
      get online() {
        return confirmed;
      },
      send(text) {
        queue.push(text);
        flush();
      },
      retry() {
        if (!socket) return start();
        socket.disconnect();
        socket.connect();
      },
      reset() {
        confirmed = false;
        queue.length = 0;
        if (socket) {
          socket.disconnect();
          socket.connect(); // new socket id, new session_request without a session id
        }
      },
    };
  }

  // ---------------------------------------------------------------- configuration

  function normaliseLang(value) {
    return String(value || "")
      .toLowerCase()
      .startsWith("zh")
      ? "zh"
      : "en";
  }

  function readConfig() {
    const page = isObject(window.ParkChatConfig) ? window.ParkChatConfig : {};
    const data = SCRIPT ? SCRIPT.dataset : {};
    const server = isObject(window.ParkChatServerConfig) ? window.ParkChatServerConfig : {};
    const pick = (key) =>
      [page[key], data[key], server[key]].find((v) => v !== undefined && v !== null && v !== "");

    const lang = normaliseLang(pick("lang") || navigator.language);
    const mode = pick("mode") === "fullpage" ? "fullpage" : "floating";
    const color = str(pick("primaryColor"), 64);
    let serverUrl = null;
    try {
      // No configured URL: the bot is assumed behind the same origin as this script.
      serverUrl = new URL(String(pick("serverUrl") || new URL(BASE_URL).origin), location.href);
    } catch (e) {
      serverUrl = null;
    }
    const okScheme = serverUrl && (serverUrl.protocol === "http:" || serverUrl.protocol === "https:");
    const socketPath =
      str(pick("socketPath"), 200) ||
      (okScheme ? serverUrl.pathname.replace(/\/+$/, "") + "/socket.io" : "/socket.io");
    const strings = STRINGS[lang];
    let feedbackUrl = null;
    try {
      // Votes go to the site that served this script (web/serve.py) unless configured otherwise.
      const url = new URL(String(pick("feedbackUrl") || BASE_URL + "api/feedback"), location.href);
      if (url.protocol === "http:" || url.protocol === "https:") feedbackUrl = url.href;
    } catch (e) {
      feedbackUrl = null;
    }
    return {
      feedbackUrl,
      lang,
      mode,
      origin: okScheme ? serverUrl.origin : null,
      socketPath,
      title: str(pick("title"), 80) || strings.title,
      welcome: str(pick("welcome"), 1000) || strings.welcome,
      primaryColor: color && window.CSS && CSS.supports("color", color) ? color : "",
      container: str(pick("container"), 200),
      strings,
    };
  }

  function loadScript(url) {
    return new Promise((resolve) => {
      const tag = document.createElement("script");
      tag.src = url;
      tag.async = true;
      tag.onload = () => resolve(true);
      tag.onerror = () => resolve(false);
      document.head.append(tag);
    });
  }

  // ---------------------------------------------------------------- the widget UI

  function mount(cfg, parent) {
    const t = cfg.strings;
    const floating = cfg.mode === "floating";
    const store = createStore("parkchat:v1:" + (cfg.origin || "unconfigured") + cfg.socketPath);
    const openKey = "parkchat:open";
    let replyTimer = null;

    const host = el("div", { class: "parkchat-host", "data-mode": cfg.mode });
    const root = host.attachShadow({ mode: "open" });
    if (cfg.primaryColor) host.style.setProperty("--pc-primary", cfg.primaryColor);

    const frame = el("div", {
      class: "pc pc--" + cfg.mode,
      lang: cfg.lang === "zh" ? "zh-CN" : "en",
      hidden: true,
    });
    const sheet = el("link", { rel: "stylesheet", href: BASE_URL + "parkchat.css" });
    const reveal = () => {
      frame.removeAttribute("hidden"); // shown once styled: no flash of unstyled content
      scrollToEnd();
    };
    sheet.addEventListener("load", reveal);
    sheet.addEventListener("error", reveal);

    const log = el("ol", {
      class: "pc-log",
      role: "log",
      "aria-live": "polite",
      "aria-label": t.log,
      tabindex: "0",
    });
    const typing = el(
      "li",
      { class: "pc-typing", hidden: true },
      el("span", { class: "pc-sr" }, t.typing),
      el("span", { class: "pc-dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")),
    );
    const noticeText = el("span", { class: "pc-notice-text" });
    const retryBtn = el(
      "button",
      { type: "button", class: "pc-retry", onclick: () => connection && connection.retry() },
      t.retry,
    );
    const notice = el("div", { class: "pc-notice", role: "alert", hidden: true }, noticeText, retryBtn);
    const input = el("textarea", {
      class: "pc-input",
      rows: "1",
      maxlength: String(MAX_INPUT),
      placeholder: t.placeholder,
      "aria-label": t.inputLabel,
      enterkeyhint: "send",
    });
    const sendBtn = el(
      "button",
      { type: "submit", class: "pc-send", "aria-label": t.send },
      svgIcon(ICON_SEND),
    );
    // Shown near the limit, so that nobody types past it unaware (maxlength cuts silently).
    const counter = el("div", { class: "pc-count", "aria-live": "polite", hidden: true });
    const form = el("form", { class: "pc-form", novalidate: true }, input, sendBtn, counter);
    const newChatBtn = el("button", { type: "button", class: "pc-new", title: t.newChatLabel }, t.newChat);
    const closeBtn = floating
      ? el(
          "button",
          { type: "button", class: "pc-close", "aria-label": t.close, title: t.close },
          svgIcon(ICON_CLOSE),
        )
      : null;
    const header = el(
      "header",
      { class: "pc-header" },
      el("h2", { id: "pc-title", class: "pc-title" }, cfg.title),
      newChatBtn,
      closeBtn,
    );
    const panel = el(
      "section",
      {
        id: "pc-panel",
        class: "pc-panel",
        role: floating ? "dialog" : "region",
        "aria-modal": floating ? "false" : null,
        "aria-labelledby": "pc-title",
        hidden: floating,
      },
      header,
      notice,
      log,
      form,
    );
    const launcher = floating
      ? el(
          "button",
          {
            type: "button",
            class: "pc-launcher",
            "aria-label": t.open,
            "aria-expanded": "false",
            "aria-controls": "pc-panel",
          },
          svgIcon(ICON_CHAT),
          el("span", { class: "pc-launcher-text" }, t.launcher),
        )
      : null;
    appendAll(frame, [panel, launcher]);
    root.append(sheet, frame);

    // -- rendering

    const views = new Map(); // message object -> its <li>

    function renderMessage(msg, withButtons) {
      const isBot = msg.role === "bot";
      const bubble = el("div", { class: "pc-bubble" }, el("span", { class: "pc-sr" }, isBot ? t.bot : t.you));
      bubble.append(isBot ? renderMarkdown(msg.text || "") : document.createTextNode(msg.text));
      const item = el("li", { class: "pc-msg pc-msg--" + msg.role }, msg.text ? bubble : null);
      if (isBot && msg.sources && msg.sources.length) item.append(renderSources(msg.sources));
      if (isBot && withButtons && msg.buttons && msg.buttons.length) item.append(renderButtons(msg.buttons));
      if (isBot && msg.messageId && cfg.feedbackUrl) item.append(renderFeedback(msg));
      views.set(msg, item);
      return item;
    }

    /** 👍/👎 under an answer; 👎 is sent at once and opens an optional reason box (sent again with it). */
    function renderFeedback(msg) {
      const status = el("span", { class: "pc-vote-status", role: "status" });
      const vote = (rating, button) =>
        el(
          "button",
          {
            type: "button",
            class: "pc-vote",
            "aria-label": button,
            title: button,
            "aria-pressed": msg.vote === rating ? "true" : "false",
            "data-rating": String(rating),
            onclick: () => {
              sendVote(msg, rating, "", box, status);
              reasonForm.hidden = rating !== -1;
              if (rating === -1) reasonInput.focus();
            },
          },
          rating === 1 ? "👍" : "👎",
        );
      const reasonInput = el("textarea", {
        class: "pc-reason-input",
        rows: "2",
        maxlength: String(MAX_REASON),
        "aria-label": t.reasonLabel,
        placeholder: t.reasonLabel,
      });
      const reasonForm = el(
        "form",
        { class: "pc-reason", hidden: true, novalidate: true },
        reasonInput,
        el("button", { type: "submit", class: "pc-reason-send" }, t.reasonSend),
      );
      reasonForm.addEventListener("submit", (event) => {
        event.preventDefault();
        const reason = reasonInput.value.trim().slice(0, MAX_REASON);
        if (reason) sendVote(msg, -1, reason, box, status);
        reasonForm.hidden = true;
      });
      const box = el(
        "div",
        { class: "pc-feedback" },
        vote(1, t.helpful),
        vote(-1, t.notHelpful),
        status,
        reasonForm,
      );
      return box;
    }

    function sendVote(msg, rating, reason, box, status) {
      if (!store.sessionId) return;
      for (const b of box.querySelectorAll(".pc-vote"))
        b.setAttribute("aria-pressed", b.dataset.rating === String(rating) ? "true" : "false");
      fetch(cfg.feedbackUrl, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message_id: msg.messageId, sender: store.sessionId, rating, reason }),
      })
        .then((response) => {
          if (!response.ok) throw new Error("HTTP " + response.status);
          msg.vote = rating;
          store.save();
          status.textContent = t.thanks;
        })
        .catch(() => {
          status.textContent = t.voteFailed;
        });
    }

    /** Sources grouped by article, in the order they are cited: one card per article. */
    function byArticle(sources) {
      const groups = new Map();
      for (const s of sources) {
        const key = s.source || s.title || s.url || s.text;
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(s);
      }
      return [...groups.values()];
    }

    /** The passage with the quoted sentence marked, so the card shows the proof in its context. */
    function renderPassage(text, sentence) {
      const at = sentence ? text.indexOf(sentence) : -1;
      if (at < 0) return el("blockquote", { class: "pc-source-text" }, text);
      return el(
        "blockquote",
        { class: "pc-source-text" },
        text.slice(0, at),
        el("mark", { class: "pc-source-quote" }, sentence),
        text.slice(at + sentence.length),
      );
    }

    function renderSources(sources) {
      const items = byArticle(sources).map((group, i) => {
        const first = group[0];
        const label = first.title || first.source || t.sources + " " + (i + 1);
        const sections = [...new Set(group.map((s) => s.section).filter((x) => x && x !== first.title))];
        const passages = [];
        const seen = new Set();
        for (const s of group) {
          if (!s.text || seen.has(s.text)) continue; // the same passage quoted twice is shown once
          seen.add(s.text);
          passages.push(renderPassage(s.text, s.sentence));
        }
        const href = first.link || first.url;
        const about = [
          first.publisher ? el("span", { class: "pc-source-publisher" }, first.publisher) : null,
          first.published
            ? el("time", { class: "pc-source-date", datetime: first.published }, first.published)
            : null,
          href
            ? el("a", { class: "pc-source-link", href, target: "_blank", rel: "noopener noreferrer nofollow" },
                t.original)
            : null,
        ].filter(Boolean);
        return el(
          "li",
          { class: "pc-source" },
          el(
            "details",
            {},
            el(
              "summary",
              {},
              el("span", { class: "pc-source-title" }, label),
              sections.length ? el("span", { class: "pc-source-section" }, sections.join(" · ")) : null,
            ),
            passages,
          ),
          about.length ? el("p", { class: "pc-source-meta" }, about) : null,
        );
      });
      return el(
        "div",
        { class: "pc-sources" },
        el("p", { class: "pc-sources-label" }, t.sources),
        el("ol", {}, items),
      );
    }

    function renderButtons(buttons) {
      return el(
        "div",
        { class: "pc-replies" },
        buttons.map((b) =>
          el(
            "button",
            { type: "button", class: "pc-reply", onclick: () => send(b.payload, b.title) },
            b.title,
          ),
        ),
      );
    }

    function clearQuickReplies() {
      for (const node of log.querySelectorAll(".pc-replies")) node.remove();
    }

    function scrollToEnd() {
      // after layout, so a just-revealed panel scrolls too
      requestAnimationFrame(() => {
        log.scrollTop = log.scrollHeight;
      });
    }

    function renderAll() {
      views.clear();
      log.textContent = "";
      log.append(
        el(
          "li",
          { class: "pc-msg pc-msg--bot pc-msg--welcome" },
          el("div", { class: "pc-bubble" }, renderMarkdown(cfg.welcome)),
        ),
      );
      const msgs = store.messages;
      // The bot's latest turn (everything after the last user message) keeps its quick replies.
      let lastUser = -1;
      msgs.forEach((m, i) => {
        if (m.role === "user") lastUser = i;
      });
      msgs.forEach((m, i) => log.append(renderMessage(m, i > lastUser)));
      log.append(typing);
      scrollToEnd();
    }

    function appendMessage(msg) {
      // Only the bot's latest turn keeps its quick replies (an answer's related questions and an
      // offer to contact the park can come in separate messages of one turn).
      if (msg.role === "user") clearQuickReplies();
      store.add(msg);
      log.insertBefore(renderMessage(msg, true), typing);
      scrollToEnd();
    }

    function showSystemLine(text) {
      log.insertBefore(el("li", { class: "pc-msg pc-msg--system" }, text), typing);
      scrollToEnd();
    }

    function setTyping(on) {
      typing.hidden = !on;
      clearTimeout(replyTimer);
      if (on) {
        replyTimer = setTimeout(() => {
          typing.hidden = true;
          showSystemLine(t.noReply);
        }, REPLY_TIMEOUT_MS);
        scrollToEnd();
      }
    }

    // -- behaviour

    function onBotMessage(data) {
      const msg = fromBot(data);
      if (!msg) return;
      setTyping(false);
      const msgs = store.messages;
      const last = msgs[msgs.length - 1];
      // Rasa sends an answer's custom payload (sources) as a separate event after its text:
      // attach it to the bot message it belongs to.
      if (!msg.text && last && last.role === "bot") {
        if (msg.sources.length) last.sources = msg.sources;
        if (msg.buttons.length) last.buttons = msg.buttons;
        if (msg.grounded !== undefined) last.grounded = msg.grounded;
        if (msg.messageId) last.messageId = msg.messageId;
        store.save();
        const item = views.get(last);
        if (item) {
          // Extend the message in place: its text node stays (no re-announcement, no detach).
          for (const node of item.querySelectorAll(".pc-sources, .pc-replies, .pc-feedback")) node.remove();
          if (last.sources && last.sources.length) item.append(renderSources(last.sources));
          if (last.buttons && last.buttons.length) item.append(renderButtons(last.buttons));
          if (last.messageId && cfg.feedbackUrl) item.append(renderFeedback(last));
        }
        scrollToEnd();
        return;
      }
      if (!msg.text && !msg.sources.length && !msg.buttons.length) return; // nothing to show
      appendMessage(msg);
    }

    function setStatus(status) {
      const offline = status === "offline";
      if (offline) noticeText.textContent = t.offline;
      notice.hidden = !offline;
      sendBtn.disabled = offline;
    }

    function send(payload, shown) {
      const text = String(payload || "")
        .trim()
        .slice(0, MAX_INPUT);
      if (!text || !connection || sendBtn.disabled) return false;
      appendMessage({ role: "user", text: String(shown || text).slice(0, MAX_INPUT) });
      connection.send(text);
      setTyping(true);
      return true;
    }

    function autoGrow() {
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight, 140) + "px";
      updateCounter();
    }

    function updateCounter() {
      const n = input.value.length;
      const full = n >= MAX_INPUT;
      counter.hidden = n < COUNT_FROM;
      counter.classList.toggle("pc-count--full", full);
      counter.textContent = (full ? t.full : t.count)
        .replace("{n}", String(n))
        .replace(/\{max\}/g, String(MAX_INPUT));
    }

    function open() {
      if (!floating) return;
      panel.hidden = false;
      frame.classList.add("pc--open");
      launcher.setAttribute("aria-expanded", "true");
      setSessionFlag(true);
      if (connection) connection.start();
      scrollToEnd();
      input.focus();
    }

    function close() {
      if (!floating) return;
      panel.hidden = true;
      frame.classList.remove("pc--open");
      launcher.setAttribute("aria-expanded", "false");
      setSessionFlag(false);
      launcher.focus();
    }

    function setSessionFlag(on) {
      try {
        if (on) window.sessionStorage.setItem(openKey, "1");
        else window.sessionStorage.removeItem(openKey);
      } catch (e) {
        // storage blocked: the panel simply starts closed after a reload
      }
    }

    function wasOpen() {
      try {
        return window.sessionStorage.getItem(openKey) === "1";
      } catch (e) {
        return false;
      }
    }

    function reset() {
      store.clear();
      setTyping(false);
      renderAll();
      if (connection) connection.reset();
      input.focus();
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (send(input.value)) {
        input.value = "";
        autoGrow();
      }
      input.focus();
    });
    input.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter adds a line; never send while an IME is composing (Chinese input).
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        form.requestSubmit
          ? form.requestSubmit()
          : form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
    input.addEventListener("input", autoGrow);
    newChatBtn.addEventListener("click", reset);
    if (floating) {
      launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
      closeBtn.addEventListener("click", close);
      panel.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          close();
        }
      });
    }

    const connection = cfg.origin
      ? createConnection(cfg, store, { onStatus: setStatus, onBotMessage })
      : null;
    if (!connection) {
      noticeText.textContent = t.notConfigured;
      notice.hidden = false;
      retryBtn.hidden = true;
      sendBtn.disabled = true;
    }

    parent.append(host);
    renderAll();
    if (floating && wasOpen()) open();
    else if (!floating && connection) connection.start();

    return { open, close, reset, send: (text) => send(text) };
  }

  // ---------------------------------------------------------------- start-up

  async function init() {
    const explicitUrl =
      (isObject(window.ParkChatConfig) && window.ParkChatConfig.serverUrl) ||
      (SCRIPT && SCRIPT.dataset.serverUrl) ||
      (isObject(window.ParkChatServerConfig) && window.ParkChatServerConfig.serverUrl);
    if (!explicitUrl) await loadScript(BASE_URL + "config.js"); // the serving site says where the bot is
    // Always our own, known socket.io client; a page's own global `io` (any version) is put back.
    const hadIo = Object.prototype.hasOwnProperty.call(window, "io");
    const pageIo = window.io;
    const loaded = await loadScript(BASE_URL + "vendor/socket.io.min.js");
    const io = loaded && typeof window.io === "function" && window.io !== pageIo ? window.io : null;
    if (hadIo) window.io = pageIo;
    else delete window.io;

    const cfg = readConfig();
    cfg.io = io;
    if (!io) cfg.origin = null; // the client library failed to load: say "not configured"
    const container = cfg.mode === "fullpage" && cfg.container ? document.querySelector(cfg.container) : null;
    Object.assign(window.ParkChat, mount(cfg, container || document.body));
  }

  window.ParkChat = { version: VERSION };
  const boot = () =>
    init().catch((err) => {
      // A widget must never break the host page: report and stay quiet.
      console.error("ParkChat failed to start:", err);
    });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
