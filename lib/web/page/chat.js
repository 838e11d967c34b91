// chatlab's browser client: the room over a WebSocket (see PROTOCOL.md,
// "WebSocket"). Every piece of text from the server is inserted with
// textContent, never as HTML.

const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();

const ui = {
  status: $("status"),
  join: $("join"),
  passwordForm: $("password-form"),
  password: $("password"),
  nameForm: $("name-form"),
  name: $("name"),
  joinError: $("join-error"),
  chat: $("chat"),
  log: $("log"),
  newMessages: $("new-messages"),
  who: $("who"),
  whoCount: $("who-count"),
  sendForm: $("send-form"),
  message: $("message"),
  bytes: $("bytes"),
  sendError: $("send-error"),
};

/** What the page remembers across reconnects (and reloads of this tab). */
const session = {
  /** The server's id for this run of the room; ids restart with a new one. */
  room: sessionStorage.getItem("chatlab.room") ?? "",
  /** Proves to the server that we are who we were (held for a while). */
  token: sessionStorage.getItem("chatlab.token") ?? "",
  /** The highest event id shown: the server replays only what came after. */
  lastId: Number(sessionStorage.getItem("chatlab.lastId") ?? 0),
  name: sessionStorage.getItem("chatlab.name") ?? "",
  /** Kept in memory only, to answer the passphrase again after a restart. */
  password: "",
};

let socket;
let phase = "connecting";
let maxLineBytes = 1024;
let nextSeq = 1;
/** Lines sent but not yet acknowledged, by sequence number, oldest first. */
const pending = new Map();
/** Ids already in the log, so a replayed event never shows twice. */
const seen = new Set();
let reconnectAttempt = 0;
let reconnectTimer;
let unread = 0;
let newBelow = 0;
let inHistory = false;
let confirmPaste = false;

function save() {
  sessionStorage.setItem("chatlab.room", session.room);
  sessionStorage.setItem("chatlab.token", session.token);
  sessionStorage.setItem("chatlab.lastId", String(session.lastId));
  sessionStorage.setItem("chatlab.name", session.name);
}

let saving = false;

/** Saves once after the lines being taken now, not once for each. */
function saveSoon() {
  if (saving) return;
  saving = true;
  queueMicrotask(() => {
    saving = false;
    save();
  });
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}/ws`);
  socket.addEventListener("open", () => {
    reconnectAttempt = 0;
    setStatus("Connected.");
    if (session.token) {
      send({ type: "resume", token: session.token, after: session.lastId });
    }
  });
  socket.addEventListener("message", (event) => {
    // One JSON object per line; a frame may hold several.
    for (const line of String(event.data).split("\n")) {
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        continue; // Not ours: ignore rather than break the page.
      }
      receive(message);
    }
  });
  socket.addEventListener("close", (event) => disconnected(event));
}

function send(message) {
  if (socket?.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify(message));
  }
}

function receive(message) {
  switch (message.type) {
    case "state":
      return applyState(message);
    case "event":
      return showEvent(message);
    case "ack":
      return acknowledge(message);
    case "history":
      return markHistory(message.phase);
  }
}

function applyState(state) {
  if (typeof state.maxLineBytes === "number") maxLineBytes = state.maxLineBytes;
  if (state.room && state.room !== session.room) {
    // A new run of the room: its ids start again, so forget the old ones.
    if (session.room) addConnectionLine("The server restarted.");
    session.room = state.room;
    session.lastId = 0;
    seen.clear();
  }
  if (state.token) session.token = state.token;
  if (state.name) session.name = state.name;
  if (Array.isArray(state.members)) showMembers(state.members);
  if (state.phase && state.phase !== phase) enterPhase(state.phase);
  save();
}

function enterPhase(next) {
  phase = next;
  ui.joinError.textContent = "";
  if (next === "password") {
    // After a restart we answer for the user with what they typed before.
    if (session.password) return sendLine(session.password, { quiet: true });
    showJoin(ui.passwordForm, ui.password);
  } else if (next === "naming") {
    // Back after the server forgot us (a restart): rejoin under the same
    // name once; if that fails, the form shows the server's reason.
    if (session.name && wasChatting && !autoNamed) {
      autoNamed = true;
      return sendLine(session.name, { quiet: true });
    }
    ui.name.value ||= session.name;
    showJoin(ui.nameForm, ui.name);
  } else if (next === "chatting") {
    wasChatting = true;
    autoNamed = false;
    ui.join.hidden = true;
    ui.chat.hidden = false;
    setStatus(`Connected as ${session.name}.`);
    resendPending();
    ui.message.focus();
  }
}

/** Whether this page has been in the room: then it rejoins by itself. */
let wasChatting = false;
/** Whether the name was sent again by itself since the last join. */
let autoNamed = false;

function showJoin(form, input) {
  ui.chat.hidden = !wasChatting;
  ui.join.hidden = false;
  ui.passwordForm.hidden = form !== ui.passwordForm;
  ui.nameForm.hidden = form !== ui.nameForm;
  input.focus();
}

function sendLine(text, { seq, quiet = false } = {}) {
  send(
    seq === undefined ? { type: "line", text } : { type: "line", text, seq },
  );
  if (!quiet) ui.sendError.textContent = "";
}

// ---- The log -------------------------------------------------------------

function isNearBottom() {
  const { scrollHeight, scrollTop, clientHeight } = ui.log;
  return scrollHeight - scrollTop - clientHeight < 48;
}

/**
 * Whether the log sticks to the bottom for the lines being added now: decided
 * once, before the first of them, and the scrolling done once after the last
 * (a frame may hold many lines; measuring the log for each would lay the
 * whole page out again each time).
 */
let stickToBottom = null;

function append(item, { counts = true } = {}) {
  if (stickToBottom === null) {
    stickToBottom = isNearBottom();
    queueMicrotask(() => {
      if (stickToBottom) ui.log.scrollTop = ui.log.scrollHeight;
      stickToBottom = null;
    });
  }
  ui.log.append(item);
  if (!stickToBottom && counts) {
    newBelow += 1;
    ui.newMessages.textContent = newBelow === 1
      ? "1 new message"
      : `${newBelow} new messages`;
    ui.newMessages.hidden = false;
  }
  if (counts && document.hidden) {
    unread += 1;
    document.title = `(${unread}) chatlab`;
  }
}

function timeElement(ms) {
  const when = new Date(typeof ms === "number" ? ms : Date.now());
  const time = document.createElement("time");
  time.dateTime = when.toISOString();
  time.textContent = when.toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
  });
  return time;
}

/** Appends `text` to `parent`, with http(s) links made clickable. */
function appendText(parent, text) {
  const urls = /\bhttps?:\/\/[^\s<>"]+/g;
  let from = 0;
  for (const match of text.matchAll(urls)) {
    parent.append(text.slice(from, match.index));
    let url;
    try {
      url = new URL(match[0]);
    } catch {
      url = undefined;
    }
    if (url && (url.protocol === "http:" || url.protocol === "https:")) {
      const link = document.createElement("a");
      link.href = url.href;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      link.textContent = match[0];
      parent.append(link);
    } else {
      parent.append(match[0]);
    }
    from = match.index + match[0].length;
  }
  parent.append(text.slice(from));
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

function mentionsMe(text) {
  if (!session.name) return false;
  return text.toLowerCase().split(/[^a-z0-9_-]+/).includes(
    session.name.toLowerCase(),
  );
}

/** Builds the list item for one event from the server. */
function renderEvent(event) {
  const item = document.createElement("li");
  item.append(timeElement(event.time));
  const text = String(event.text ?? "");
  switch (event.kind) {
    case "say":
      item.append(span("from", `<${event.from}>`), " ");
      appendText(item, text);
      break;
    case "action":
      item.classList.add("action");
      item.append(span("from", `* ${event.from}`), " ");
      appendText(item, text);
      break;
    case "private-in":
      item.classList.add("private");
      item.append(span("from", `private from ${event.from}:`), " ");
      appendText(item, text);
      break;
    case "private-out":
      item.classList.add("private", "own");
      item.append(span("from", `private to ${event.to}:`), " ");
      appendText(item, text);
      break;
    case "error":
      item.classList.add("error");
      item.append(text);
      break;
    default:
      item.classList.add("notice");
      item.append(text);
  }
  if (event.own) item.classList.add("own");
  if (!event.own && event.kind !== "notice" && mentionsMe(text)) {
    item.classList.add("mention");
  }
  if (event.id !== undefined && event.id !== null) {
    item.dataset.id = String(event.id);
  }
  return item;
}

function showEvent(event) {
  if (typeof event.id === "number") {
    if (seen.has(event.id)) return;
    seen.add(event.id);
    if (event.id > session.lastId) session.lastId = event.id;
    saveSoon();
  }
  // One of our own lines, replayed after a reconnect: it may be pending
  // (sent, but its acknowledgement lost with the connection).
  if (event.own) {
    for (const [seq, entry] of pending) {
      if (isSameLine(entry.text, event)) return settle(seq, event.id);
    }
  }
  if (event.kind === "error" && phase !== "chatting") {
    ui.joinError.textContent = String(event.text ?? "");
    setStatus(String(event.text ?? ""));
    if (phase === "naming") showJoin(ui.nameForm, ui.name);
  }
  append(renderEvent(event), { counts: !event.own && !inHistory });
}

/** Whether the typed line `typed` became the room's `event`. */
function isSameLine(typed, event) {
  if (event.kind === "action") return typed === `/me ${event.text}`;
  return typed === event.text || typed === `/${event.text}`;
}

function markHistory(which) {
  inHistory = which === "start";
  const item = document.createElement("li");
  item.className = "history-mark";
  item.textContent = inHistory ? "Earlier messages" : "New messages";
  append(item, { counts: false });
}

function addConnectionLine(text) {
  const item = document.createElement("li");
  item.className = "connection";
  item.append(timeElement(), text);
  append(item, { counts: false });
}

ui.log.addEventListener("scroll", () => {
  if (isNearBottom()) {
    newBelow = 0;
    ui.newMessages.hidden = true;
  }
});

ui.newMessages.addEventListener("click", () => {
  ui.log.scrollTop = ui.log.scrollHeight;
  newBelow = 0;
  ui.newMessages.hidden = true;
  ui.message.focus();
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) {
    unread = 0;
    document.title = "chatlab";
  }
});

function showMembers(members) {
  ui.who.replaceChildren(...members.map((member) => {
    const item = document.createElement("li");
    const name = typeof member === "string" ? member : member.name;
    item.textContent = name;
    if (member.moderator) item.classList.add("moderator");
    if (name === session.name) item.classList.add("me");
    return item;
  }));
  ui.whoCount.textContent = String(members.length);
}

// ---- Sending -------------------------------------------------------------

function byteLength(text) {
  return encoder.encode(text).length;
}

function updateByteCounter() {
  const lines = ui.message.value.split(/\r?\n/);
  const longest = Math.max(...lines.map(byteLength));
  const near = longest >= Math.floor(maxLineBytes * 0.8);
  ui.bytes.textContent = near ? `${longest} / ${maxLineBytes} bytes` : "";
  ui.bytes.classList.toggle("near-limit", longest > maxLineBytes);
  confirmPaste = false;
  if (longest <= maxLineBytes && ui.sendError.dataset.kind === "size") {
    ui.sendError.textContent = "";
  }
}

/** Shows a line we sent at once, marked as pending until the server acks it. */
function showPending(text) {
  const item = document.createElement("li");
  item.classList.add("own", "pending");
  item.append(timeElement());
  if (text.startsWith("/me ")) {
    item.classList.add("action");
    item.append(span("from", `* ${session.name}`), " ");
    appendText(item, text.slice(4));
  } else {
    item.append(span("from", `<${session.name}>`), " ");
    appendText(item, text.startsWith("//") ? text.slice(1) : text);
  }
  item.title = "sending…";
  append(item, { counts: false });
  ui.log.scrollTop = ui.log.scrollHeight;
  return item;
}

/** Whether a line is shown in the log as said (not a command with a reply). */
function isSaid(text) {
  return !text.startsWith("/") || text.startsWith("//") ||
    text.startsWith("/me ");
}

function submitMessage() {
  const text = ui.message.value;
  if (text.trim() === "") return;
  const lines = text.split(/\r?\n/).filter((line) => line !== "");
  const tooLong = lines.find((line) => byteLength(line) > maxLineBytes);
  if (tooLong !== undefined) {
    ui.sendError.dataset.kind = "size";
    ui.sendError.textContent = `Not sent: a line is ${
      byteLength(tooLong)
    } bytes; the limit is ${maxLineBytes} bytes. Shorten it or split it.`;
    return;
  }
  if (lines.length > 1 && !confirmPaste) {
    confirmPaste = true;
    ui.sendError.dataset.kind = "paste";
    ui.sendError.textContent =
      `This sends ${lines.length} separate messages, one per line. Press Enter again to send them, or edit the text.`;
    return;
  }
  confirmPaste = false;
  ui.sendError.textContent = "";
  for (const line of lines) {
    const seq = nextSeq++;
    const item = isSaid(line) ? showPending(line) : undefined;
    pending.set(seq, { text: line, item });
    sendLine(line, { seq });
  }
  ui.message.value = "";
  updateByteCounter();
}

function acknowledge({ seq, id }) {
  if (typeof id === "number") {
    seen.add(id);
    if (id > session.lastId) session.lastId = id;
    save();
  }
  settle(seq, id);
}

function settle(seq, id) {
  const entry = pending.get(seq);
  if (!entry) return;
  pending.delete(seq);
  if (entry.item) {
    entry.item.classList.remove("pending");
    entry.item.title = "";
    if (typeof id === "number") entry.item.dataset.id = String(id);
  }
}

function resendPending() {
  for (const [seq, { text }] of pending) sendLine(text, { seq, quiet: true });
}

ui.message.addEventListener("input", updateByteCounter);
ui.message.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submitMessage();
  } else if (event.key === "Escape" && confirmPaste) {
    confirmPaste = false;
    ui.sendError.textContent = "";
  }
});
ui.sendForm.addEventListener("submit", (event) => {
  event.preventDefault();
  submitMessage();
});
ui.passwordForm.addEventListener("submit", (event) => {
  event.preventDefault();
  session.password = ui.password.value;
  sendLine(ui.password.value);
  ui.password.value = "";
});
ui.nameForm.addEventListener("submit", (event) => {
  event.preventDefault();
  session.name = ui.name.value.trim();
  save();
  sendLine(session.name);
});

// ---- Reconnecting --------------------------------------------------------

function setStatus(text) {
  ui.status.textContent = text;
}

function disconnected(event) {
  const reason = event.reason || "the connection was lost";
  // The server ended this for good: don't come back (kicked, /quit, ...).
  const final = event.code === 1000 || event.code === 1008 ||
    event.code === 4000;
  if (phase === "chatting" || wasChatting) {
    addConnectionLine(
      final
        ? `Disconnected: ${reason}.`
        : `Disconnected (${reason}); reconnecting…`,
    );
  }
  phase = "connecting";
  if (final) {
    setStatus(`Disconnected: ${reason}.`);
    return;
  }
  // Exponential backoff with full jitter, so a restarted server isn't
  // hit by the whole class at the same instant.
  const ceiling = Math.min(10_000, 250 * 2 ** reconnectAttempt);
  const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  reconnectAttempt += 1;
  setStatus(
    `Disconnected (${reason}); reconnecting in ${Math.ceil(delay / 1000)} s…`,
  );
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(connect, delay);
}

connect();
