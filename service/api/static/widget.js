/*! newsrag chat widget: answers from the news articles, every claim cited.
 *
 * Embed with one tag:
 *   <script src="https://HOST/widget.js" data-title="Ask the news" defer></script>
 * Attributes: data-api (service URL; default: where this script came from), data-title,
 * data-key (a widget key, sent as "Authorization: Bearer KEY"), data-target (a CSS
 * selector of an element to render into; default: a panel fixed to the corner).
 *
 * Everything lives in a shadow root styled by a constructed stylesheet: the page's CSS
 * cannot reach inside and ours cannot leak out. No eval, no inline code, no HTML parsing of
 * anything the server sends: it works under a strict Content-Security-Policy.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__newsragWidget) return;
  window.__newsragWidget = true;

  var cfg = script.dataset;
  var api = (cfg.api || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var title = cfg.title || "Ask the news";
  var MAX_HISTORY = 20; // messages sent as history (the service's default limit)
  var CONTEXT = 150; // characters of article text shown around a quote

  var CSS = [
    ":host{all:initial!important;display:block!important;position:fixed!important;",
    "right:16px!important;bottom:16px!important;z-index:2147483000!important;",
    "visibility:visible!important;opacity:1!important;transform:none!important;",
    "pointer-events:auto!important;width:min(380px,calc(100vw - 32px))!important}",
    ":host(.inline){position:static!important;width:auto!important}",
    ".panel{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b2230;",
    "background:#fff;border:1px solid #c9d0dc;border-radius:12px;display:flex;",
    "flex-direction:column;max-height:min(600px,calc(100vh - 32px));",
    "box-shadow:0 6px 24px rgba(20,30,60,.18);overflow:hidden;text-align:left}",
    "header{display:flex;align-items:center;gap:8px;padding:10px 14px;background:#1f3b73;color:#fff}",
    "h2{font-size:16px;font-weight:600;line-height:1.3;margin:0;flex:1}",
    "button,textarea{font:inherit;color:inherit}",
    "button{cursor:pointer;border-radius:8px;border:1px solid #1f3b73;background:#1f3b73;",
    "color:#fff;padding:6px 12px}",
    "button:disabled{opacity:.55;cursor:default}",
    "header button{background:transparent;border-color:#fff;padding:2px 8px}",
    ":focus-visible{outline:3px solid #f2a900;outline-offset:2px}",
    ".log{overflow-y:auto;padding:10px 14px;flex:1;min-height:120px}",
    ".msg{margin:8px 0;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}",
    ".user{background:#e8eefb;margin-left:40px}",
    ".bot{background:#f5f6f8}",
    ".bot.abstained{background:#fff7e0}",
    ".note{font-size:13px;color:#5a6170;margin-top:4px}",
    ".error{background:#fdecec;color:#7a1616}",
    ".error button{margin-top:6px;background:#7a1616;border-color:#7a1616}",
    "a{color:#1f4fbf;text-decoration:underline;font-weight:600}",
    "form{display:flex;gap:8px;padding:10px 14px;border-top:1px solid #e3e6ec;align-items:flex-end}",
    "textarea{flex:1;resize:vertical;min-height:40px;max-height:140px;padding:6px 8px;",
    "border:1px solid #aab3c2;border-radius:8px;background:#fff}",
    ".vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".cite{border-top:1px solid #e3e6ec;padding:10px 14px;background:#fbfbfd;overflow-y:auto;max-height:45%}",
    ".cite h3{font-size:15px;font-weight:600;line-height:1.3;margin:0 0 2px}",
    ".cite p{margin:6px 0}",
    ".cite .ctx{white-space:pre-wrap;font-size:14px}",
    "mark{background:#ffe27a;color:inherit;padding:0 1px}",
    ".cite .bar{display:flex;justify-content:space-between;align-items:flex-start;gap:8px}",
    ".cite .bar button{background:#fff;color:#1f3b73;padding:2px 8px}",
    ".body{display:contents}",
    ".rating{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:-4px 0 10px}",
    ".rating button{background:#fff;color:#1f3b73;padding:2px 10px}",
    ".rating button[aria-pressed=true]{background:#1f3b73;color:#fff}",
    ".rating textarea{flex-basis:100%;min-height:36px;padding:4px 6px;border:1px solid #aab3c2;",
    "border-radius:8px;background:#fff}",
    "[hidden]{display:none!important}"
  ].join("");

  // -- elements ---------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    var key;
    for (key in attrs || {}) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "cls") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var host = document.createElement("div");
  host.setAttribute("data-newsrag-widget", "");
  var target = cfg.target ? document.querySelector(cfg.target) : null;
  if (target) host.className = "inline";
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", { text: CSS })); // older browsers, lax CSP only
  }

  var uid = "nr" + Math.random().toString(36).slice(2, 8);
  var heading = el("h2", { id: uid + "-h", text: title });
  var toggle = el("button", { type: "button", "aria-expanded": "true", "aria-controls": uid + "-b", text: "–" });
  toggle.setAttribute("aria-label", "Minimise");
  var log = el("div", { cls: "log", role: "log", "aria-live": "polite", "aria-labelledby": uid + "-h", tabindex: "0" });
  var box = el("textarea", { id: uid + "-q", rows: "2", placeholder: "Ask about the news…", autocomplete: "off" });
  var label = el("label", { for: uid + "-q", cls: "vh", text: "Your question (Enter sends, Shift+Enter for a new line)" });
  var send = el("button", { type: "submit", text: "Ask" });
  var form = el("form", {}, [label, box, send]);
  var citeHead = el("h3", { id: uid + "-ch", tabindex: "-1" });
  var citeClose = el("button", { type: "button", text: "Close" });
  citeClose.setAttribute("aria-label", "Close the cited passage");
  var citeMeta = el("p", { cls: "note" });
  var citeText = el("p", { cls: "ctx" });
  var cite = el("section", { cls: "cite", role: "region", "aria-labelledby": uid + "-ch", hidden: "" }, [
    el("div", { cls: "bar" }, [citeHead, citeClose]), citeMeta, citeText
  ]);
  var body = el("div", { id: uid + "-b", cls: "body" }, [log, cite, form]);
  var panel = el("section", { cls: "panel", "aria-labelledby": uid + "-h" }, [
    el("header", {}, [heading, toggle]), body
  ]);
  root.appendChild(panel);
  (target || document.body).appendChild(host);

  // -- state ------------------------------------------------------------------------------
  var history = []; // finished turns: {role, content}
  var busy = false;
  var texts = new Map(); // source -> Promise of its article text
  var opener = null; // the citation link that opened the passage view

  function setBusy(value) {
    busy = value;
    send.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
  }

  function scroll() {
    log.scrollTop = log.scrollHeight;
  }

  function headers(json) {
    var h = { Accept: json ? "application/json" : "text/event-stream", "Content-Type": "application/json" };
    if (cfg.key) h.Authorization = "Bearer " + cfg.key;
    return h;
  }

  // -- server-sent events from a fetch stream ----------------------------------------------
  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function dispatch(block) {
      var name = "message";
      var data = [];
      block.split(/\r\n|\r|\n/).forEach(function (line) {
        if (!line || line.charAt(0) === ":") return;
        var colon = line.indexOf(":");
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      });
      if (data.length) onEvent(name, data.join("\n"));
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          buffer += decoder.decode();
          if (buffer.trim()) dispatch(buffer);
          return;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
        var parts = buffer.split(/\r\n\r\n|\n\n|\r\r/);
        buffer = parts.pop();
        parts.forEach(dispatch);
        return pump();
      });
    }
    return pump();
  }

  // -- rendering --------------------------------------------------------------------------
  function renderAnswer(node, answer) {
    node.textContent = "";
    var byNumber = {};
    answer.citations.forEach(function (c) { byNumber[c.n] = c; });
    answer.answer.split(/(\[\d+\])/).forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      var c = m && byNumber[m[1]];
      if (!c) {
        if (part) node.appendChild(document.createTextNode(part));
        return;
      }
      var link = el("a", {
        href: "#" + uid + "-c" + c.n, text: "[" + c.n + "]",
        "data-n": String(c.n), "data-source": c.source, "data-start": String(c.start),
        "data-end": String(c.end), "data-published": c.published || ""
      });
      link.setAttribute("aria-label", "Source " + c.n + ": " + c.title);
      link.addEventListener("click", function (event) {
        event.preventDefault();
        openCitation(c, link);
      });
      node.appendChild(link);
    });
  }

  function errorMessage(code, message, retryAfter) {
    if (code === "rate_limited") {
      return "Too many questions right now" + (retryAfter ? "; try again in " + retryAfter + " s." : "; try again shortly.");
    }
    if (code === "unauthorized" || code === "forbidden") return "This site may not use the news service.";
    if (code === "invalid_request" || code === "payload_too_large") return "That question could not be sent: " + message;
    if (code === "upstream_timeout") return "The answer took too long.";
    if (code === "network") return "The connection was lost.";
    return "The news service is having trouble.";
  }

  function showError(item, text, retry) {
    item.bubble.className = "msg bot error";
    item.bubble.setAttribute("data-state", "error");
    item.bubble.textContent = text;
    var again = el("button", { type: "button", text: "Try again" });
    again.addEventListener("click", function () {
      if (busy) return;
      item.bubble.remove();
      retry();
    });
    item.bubble.appendChild(el("br"));
    item.bubble.appendChild(again);
    again.focus();
  }

  // -- rating an answer -------------------------------------------------------------------
  var RATED = { up: "helpful", down: "not helpful" };

  function ratingBar(requestId) {
    var id = uid + "-r" + Math.random().toString(36).slice(2, 8);
    var up = el("button", { type: "button", "aria-pressed": "false", "data-rating": "up", text: "\uD83D\uDC4D" });
    up.setAttribute("aria-label", "Helpful");
    var down = el("button", { type: "button", "aria-pressed": "false", "data-rating": "down", text: "\uD83D\uDC4E" });
    down.setAttribute("aria-label", "Not helpful");
    var label = el("label", { for: id, cls: "vh", text: "What was wrong or missing? (optional)" });
    var comment = el("textarea", { id: id, rows: "2", maxlength: "2000", placeholder: "What was wrong or missing? (optional)", hidden: "" });
    var sendComment = el("button", { type: "button", hidden: "", text: "Send comment" });
    var status = el("span", { cls: "note", role: "status", "aria-live": "polite" });
    var bar = el("div", { cls: "rating", role: "group", "aria-label": "Rate this answer" }, [
      up, down, label, comment, sendComment, status
    ]);
    var rating = null;

    function submit(value, text) {
      status.textContent = "Sending…";
      var body = { request_id: requestId, rating: value };
      if (text) body.comment = text;
      return fetch(api + "/v1/feedback", { method: "POST", headers: headers(true), body: JSON.stringify(body) })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          rating = value;
          up.setAttribute("aria-pressed", value === "up" ? "true" : "false");
          down.setAttribute("aria-pressed", value === "down" ? "true" : "false");
          status.textContent = text
            ? "Thank you: your comment was sent."
            : "Thank you: you rated this answer " + RATED[value] + ".";
          bar.setAttribute("data-rated", value);
          comment.hidden = false;
          sendComment.hidden = false;
        })
        .catch(function () {
          status.textContent = "Your rating could not be sent; please try again.";
        });
    }

    up.addEventListener("click", function () { submit("up"); });
    down.addEventListener("click", function () { submit("down"); });
    sendComment.addEventListener("click", function () {
      var text = comment.value.trim();
      if (!text || !rating) return;
      submit(rating, text).then(function () {
        if (bar.getAttribute("data-rated")) bar.setAttribute("data-commented", "true");
      });
    });
    return bar;
  }

  // -- asking -----------------------------------------------------------------------------
  function ask(question, turns) {
    setBusy(true);
    var bubble = el("div", { cls: "msg bot", "data-state": "streaming", "data-token-events": "0" });
    var item = { bubble: bubble };
    log.appendChild(bubble);
    scroll();
    var tokens = 0;
    var finished = false;
    var retry = function () { ask(question, turns); };

    function fail(code, message, retryAfter) {
      finished = true;
      showError(item, errorMessage(code, message, retryAfter), retry);
    }

    fetch(api + "/v1/ask", {
      method: "POST",
      headers: headers(false),
      body: JSON.stringify({ question: question, history: turns, stream: true })
    })
      .then(function (response) {
        if (!response.ok) {
          var wait = response.headers.get("Retry-After");
          return response.json().then(
            function (body) {
              var e = (body && body.error) || {};
              fail(e.code || "internal_error", e.message || "", wait);
            },
            function () { fail("internal_error", "", wait); }
          );
        }
        return readEvents(response, function (name, data) {
          if (finished) return;
          var payload;
          try { payload = JSON.parse(data); } catch (e) { return; }
          if (name === "token") {
            tokens += 1;
            bubble.textContent += payload.text;
            bubble.setAttribute("data-token-events", String(tokens));
            scroll();
          } else if (name === "done") {
            finished = true;
            renderAnswer(bubble, payload);
            bubble.setAttribute("data-state", "done");
            if (payload.abstained) {
              bubble.classList.add("abstained");
              bubble.appendChild(el("div", { cls: "note", text: "Not found in the articles." }));
            }
            // Beside the answer, not in it: the answer's text stays the answer.
            if (payload.request_id) log.insertBefore(ratingBar(payload.request_id), bubble.nextSibling);
            history.push({ role: "user", content: question }, { role: "assistant", content: payload.answer });
            scroll();
          } else if (name === "error") {
            fail(payload.code, payload.message);
          }
        }).then(function () {
          if (!finished) fail("network");
        });
      })
      .catch(function () {
        if (!finished) fail("network");
      })
      .then(function () {
        setBusy(false);
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = box.value.trim();
    if (!question || busy) return;
    box.value = "";
    log.appendChild(el("div", { cls: "msg user", text: question }));
    ask(question, history.slice(-MAX_HISTORY));
  });

  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  toggle.addEventListener("click", function () {
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.setAttribute("aria-label", open ? "Minimise" : "Open");
    toggle.textContent = open ? "–" : "+";
    body.hidden = !open;
  });

  // -- the cited passage ------------------------------------------------------------------
  function articleText(source) {
    if (!texts.has(source)) {
      var path = source.split("/").map(encodeURIComponent).join("/");
      var init = cfg.key ? { headers: { Authorization: "Bearer " + cfg.key } } : {};
      var promise = fetch(api + "/v1/sources/" + path + "/text", init).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      });
      promise.catch(function () { texts.delete(source); });
      texts.set(source, promise);
    }
    return texts.get(source);
  }

  function openCitation(c, link) {
    opener = link;
    citeHead.textContent = "[" + c.n + "] " + c.title;
    citeMeta.textContent = (c.published ? c.published + " · " : "") + c.source;
    citeText.textContent = "Loading the passage…";
    cite.hidden = false;
    cite.setAttribute("data-n", String(c.n));
    citeHead.focus();
    articleText(c.source).then(
      function (text) {
        if (cite.getAttribute("data-n") !== String(c.n)) return;
        citeText.textContent = "";
        if (text.slice(c.start, c.end) !== c.quote) {
          citeText.appendChild(el("mark", { text: c.quote }));
          return;
        }
        var from = Math.max(0, c.start - CONTEXT);
        var to = Math.min(text.length, c.end + CONTEXT);
        citeText.appendChild(document.createTextNode((from > 0 ? "…" : "") + text.slice(from, c.start)));
        citeText.appendChild(el("mark", { text: text.slice(c.start, c.end) }));
        citeText.appendChild(document.createTextNode(text.slice(c.end, to) + (to < text.length ? "…" : "")));
      },
      function () {
        citeText.textContent = "";
        citeText.appendChild(el("mark", { text: c.quote }));
        citeText.appendChild(el("span", { cls: "note", text: " (the full article could not be loaded)" }));
      }
    );
  }

  function closeCitation() {
    cite.hidden = true;
    cite.removeAttribute("data-n");
    if (opener) opener.focus();
    opener = null;
  }

  citeClose.addEventListener("click", closeCitation);
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !cite.hidden) {
      event.preventDefault();
      closeCitation();
    }
  });
})();
