"""A Slack workspace in the terminal: type `/content ...`, read the bot's answers, press its buttons.

The bot runs for real (Bolt over HTTP, signed requests); only Slack is local, as the stand-in in
`standins.slack`. This module shows what a person would see there as text (`standins.block_text`)
and turns what they type into the requests Slack would send. It starts nothing itself: `run()` is
handed a running stand-in and a `Workspace` pointed at the running app.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import httpx

from standins.block_text import (
    controls_of,
    options_of,
    render_message,
    render_view,
    text_of,
    value_text,
)
from standins.slack import (
    Change,
    ChangeKind,
    Ephemeral,
    Message,
    SlackStandIn,
    SuggestionRefused,
    View,
    Workspace,
    is_multi,
    state_key,
)

HELP = """\
/content <text>          run the slash command in the current channel
press N [option]         press button N (or pick an option in menu N); a bare N works too
fill <field> <value>     type into a modal field (by #, block_id or label)
fill <field>             type several lines into it; end with a line holding just .
clear <field>            empty a modal field
select <field> <option>  pick an option (by # or text) in a modal field; commas for several
submit | cancel          submit or close the modal on screen
home                     open the App Home tab
thread <m#>              show a message's thread
read <#channel> [N]      show a channel's last N messages (5), e.g. read #content-review
as <user>                act as someone else
help | quit"""

# ---------------------------------------------------------------------------------------------------
# The REPL
# ---------------------------------------------------------------------------------------------------


class ConsoleError(Exception):
    """Something the person typed that cannot be done; shown to them, never a crash."""


@dataclass(frozen=True)
class _Control:
    element: dict[str, Any]
    message: tuple[str, str] | None = None
    view_id: str | None = None
    # A list repeats an action_id once per item: the block says which item's button this is.
    block_id: str | None = None


@dataclass(frozen=True)
class _Lines:
    """A modal field taking several typed lines, until a line holding just `.`."""

    view_id: str
    block: dict[str, Any]
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settle:
    """How long to wait for the app's effects after an action: Bolt answers first and works after."""

    first: float = 2.0  # wait this long for the first effect to appear
    quiet: float = 0.3  # then until nothing new has happened for this long
    poll: float = 0.05


class Console:
    def __init__(
        self,
        workspace: Workspace,
        standin: SlackStandIn,
        user: str,
        out: TextIO,
        settle: Settle = Settle(),
    ) -> None:
        self.workspace = workspace
        self.standin = standin
        self.user = user
        self.out = out
        self.settle = settle
        self.channel = standin.channels()[0].id
        # Users and channels by id: mrkdwn mentions (<@U…>, <#C…>) show as @name and #name.
        self.names = {u.id: u.name for u in standin.users()} | {c.id: c.name for c in standin.channels()}
        self._cursor = standin.cursor
        self._controls: dict[int, _Control] = {}
        self._next_control = 1
        self._message_labels: dict[tuple[str, str], str] = {}
        self._typing: _Lines | None = None
        # A pressed control whose `confirm` dialog is on screen, and the option picked with it.
        self._confirming: tuple[_Control, str | None] | None = None
        self._commands: dict[str, Callable[[str], None]] = {
            "press": self._press,
            "fill": self._fill,
            "select": self._fill,
            "clear": self._clear,
            "read": self._read,
            "submit": lambda _: self._submit(),
            "cancel": lambda _: self._cancel(),
            "home": lambda _: self._home(),
            "thread": self._thread,
            "as": self._as,
            "help": lambda _: self._say(HELP),
        }

    @property
    def prompt(self) -> str:
        if self._confirming:
            return "y/n? "
        return "... " if self._typing else f"{self.names[self.user]}> "

    @property
    def behind(self) -> bool:
        """Whether the workspace changed since this console last showed it."""
        return self.standin.cursor > self._cursor

    def handle(self, line: str) -> None:
        """Do what one typed line asks, then show what changed."""
        if self._typing is not None:
            self._type_line(line.rstrip("\r\n"))
            return
        if self._confirming is not None:
            (control, value), self._confirming = self._confirming, None
            if line.strip().lower() in (
                "y",
                "yes",
                text_of(control.element["confirm"].get("confirm")).lower(),
            ):
                self._click(control, value)
            else:
                self._say("(nothing sent)")
            return
        line = line.strip()
        if not line:
            return
        if line.startswith("/"):
            command, _, text = line.partition(" ")
            self._slash(command, text)
            return
        verb, _, rest = line.partition(" ")
        if verb.isdigit():
            verb, rest = "press", line
        action = self._commands.get(verb.lower())
        if action is None:
            raise ConsoleError(f"unknown command {verb!r}; type help")
        action(rest.strip())

    @property
    def typing(self) -> bool:
        """Whether lines go into a modal field (`fill <field>`) rather than being commands."""
        return self._typing is not None or self._confirming is not None

    def show_new(self, *, hide_home: bool = False, lead: str = "") -> bool:
        """Print what changed in the workspace since last time, as this person would see it.

        `lead` goes before the first thing printed. True when anything was: changes only
        others can see print nothing.
        """
        changes = self.standin.changes(self._cursor)
        self._cursor += len(changes)
        printed = False
        for change in changes:
            if hide_home and change.kind is ChangeKind.HOME_PUBLISHED:
                continue
            shown = self._render_change(change)
            if shown:
                self._say(shown if printed else lead + shown)
                printed = True
        return printed

    # -- commands ---------------------------------------------------------------------------------------

    def _slash(self, command: str, text: str) -> None:
        reply = self.workspace.slash(self.user, text, command=command, channel=self.channel)
        if reply.status != 200:
            raise ConsoleError(f"{command} failed: the app answered HTTP {reply.status}")
        self._wait_for_effects()

    def _press(self, rest: str) -> None:
        number, _, choice = rest.partition(" ")
        control = self._controls.get(int(number)) if number.isdigit() else None
        if control is None:
            raise ConsoleError(f"no button {number!r} on screen")
        value = None
        if options_of(control.element):
            if not choice:
                raise ConsoleError("pick an option: press N <option # or text>")
            value = _pick(control.element, choice)["value"]
        dialog = control.element.get("confirm")
        if dialog:
            # Slack's client asks first and sends nothing unless the person confirms.
            self._confirming = (control, value)
            yes = text_of(dialog.get("confirm")) or "Yes"
            no = text_of(dialog.get("deny")) or "Cancel"
            self._say(
                f"┌ {text_of(dialog.get('title'))}\n│ {text_of(dialog.get('text'))}\n└ [y] {yes}  [n] {no}"
            )
            return
        self._click(control, value)

    def _click(self, control: _Control, value: str | None) -> None:
        reply = self.workspace.click(
            self.user,
            action_id=control.element["action_id"],
            value=value,
            message=control.message,
            view_id=control.view_id,
            block_id=control.block_id,
        )
        if reply.status != 200:
            raise ConsoleError(f"the app answered HTTP {reply.status}")
        self._wait_for_effects()

    def _fill(self, rest: str) -> None:
        modal = self._modal()
        ref, _, raw = rest.partition(" ")
        if not ref:
            raise ConsoleError("usage: fill <field> <value>, or fill <field> for several lines")
        block = _find_input(modal, ref)
        if raw and block["element"]["type"] == "external_select":
            # Typing into an external select: the app lists options (block_suggestion); the first is taken.
            try:
                listed = self.workspace.suggest(self.user, modal.id, block["element"]["action_id"], raw)
            except SuggestionRefused as exc:
                raise ConsoleError(f"Slack shows an error instead of options: {exc}") from None
            if not listed:
                raise ConsoleError(f"{text_of(block.get('label'))} lists nothing for {raw!r}")
            self._set(modal.id, block, listed[0])
            return
        if raw:
            self._set(modal.id, block, _typed_value(block["element"], raw, self.standin))
            return
        if not block["element"].get("multiline"):
            raise ConsoleError(f"{text_of(block.get('label'))} takes one line: fill {ref} <value>")
        self._typing = _Lines(modal.id, block)
        self._say("Type the lines; end with a line holding just .")

    def _type_line(self, line: str) -> None:
        assert self._typing is not None
        if line.strip() != ".":
            self._typing = replace(self._typing, lines=(*self._typing.lines, line))
            return
        typing, self._typing = self._typing, None
        self._set(typing.view_id, typing.block, "\n".join(typing.lines) or None)

    def _clear(self, rest: str) -> None:
        modal = self._modal()
        block = _find_input(modal, rest.strip())
        self._set(modal.id, block, [] if is_multi(block["element"]["type"]) else None)

    def _set(self, view_id: str, block: dict[str, Any], value: Any) -> None:
        """Put what the person typed or picked into the view's state, as Slack's client does."""
        element = block["element"]
        entry = {"type": element["type"], state_key(element["type"]): value}
        updated = self.standin.set_view_state(view_id, {block["block_id"]: {element["action_id"]: entry}})
        shown = value_text(updated.state[block["block_id"]][element["action_id"]], self.names)
        label = text_of(block.get("label"))
        self._say(f"{label} = " + shown.replace("\n", "\n" + " " * (len(label) + 3)))

    def _submit(self) -> None:
        reply = self.workspace.submit(self.user, self._modal().id)
        if reply.status is not None and reply.status != 200:
            raise ConsoleError(f"We had some trouble connecting (the app answered HTTP {reply.status})")
        self._wait_for_effects()

    def _cancel(self) -> None:
        self.workspace.cancel(self.user, self._modal().id)
        self._wait_for_effects()

    def _home(self) -> None:
        self.workspace.open_home(self.user)
        self._wait_for_effects(self._is_my_home, hide_home=True)
        home = self.standin.home(self.user)
        self._say(self._render_view(home) if home else "(the app has no Home tab for you yet)")

    def _is_my_home(self, change: Change) -> bool:
        subject = change.subject
        return (
            change.kind is ChangeKind.HOME_PUBLISHED
            and isinstance(subject, View)
            and subject.user == self.user
        )

    def _thread(self, rest: str) -> None:
        label = rest if rest.startswith("m") else f"m{rest}"
        where = next((key for key, value in self._message_labels.items() if value == label), None)
        if where is None:
            raise ConsoleError(f"no message {rest!r}; messages are labelled m1, m2, …")
        thread = self.standin.thread(*where)
        self._say("\n".join(self._render_message(m) for m in thread))

    def _read(self, rest: str) -> None:
        name, _, count = rest.partition(" ")
        channel = next((c for c in self.standin.channels() if c.name == name.lstrip("#")), None)
        if channel is None:
            known = ", ".join("#" + c.name for c in self.standin.channels() if not c.id.startswith("D"))
            raise ConsoleError(f"no channel {name!r}; channels are {known}")
        if count and not count.strip().isdigit():
            raise ConsoleError("usage: read <#channel> [number of messages]")
        messages = self.standin.messages(channel.id)[-int(count or 5) :]
        if not messages:
            self._say(f"(#{channel.name} has no messages yet)")
        for message in messages:
            self._say(self._render_message(message))

    def _as(self, rest: str) -> None:
        user = self.standin.user_by_name(rest.lstrip("@"))
        if user is None:
            raise ConsoleError(f"nobody called {rest!r} here")
        self.user = user.id
        self._say(f"You are now {user.name} ({user.id}).")

    # -- helpers ----------------------------------------------------------------------------------------

    def _modal(self) -> View:
        stack = self.standin.modals(self.user)
        if not stack:
            raise ConsoleError("no modal is open")
        return stack[-1]

    def _wait_for_effects(
        self, expect: Callable[[Change], bool] = lambda _: True, *, hide_home: bool = False
    ) -> None:
        # An action may change nothing visible; then show whatever there is.
        with contextlib.suppress(TimeoutError):
            self.standin.wait_for(
                lambda: any(expect(c) for c in self.standin.changes(self._cursor)), self.settle.first
            )
        seen, quiet_since = self.standin.cursor, time.monotonic()
        while time.monotonic() - quiet_since < self.settle.quiet:
            time.sleep(self.settle.poll)
            if self.standin.cursor != seen:
                seen, quiet_since = self.standin.cursor, time.monotonic()
        self.show_new(hide_home=hide_home)

    def _render_change(self, change: Change) -> str | None:
        subject = change.subject
        if isinstance(subject, View):
            if subject.user != self.user:
                return None
            if change.kind is ChangeKind.VIEW_CLOSED:
                return f"(modal closed: {text_of(subject.definition.get('title'))})"
            return self._render_view(subject)
        if isinstance(subject, Ephemeral) and subject.user != self.user:
            return None
        if change.kind in (ChangeKind.MESSAGE_DELETED, ChangeKind.EPHEMERAL_DELETED):
            return f"(a message was deleted in #{self.standin.channel(subject.channel).name})"
        return self._render_message(subject)

    def _render_message(self, message: Message | Ephemeral) -> str:
        key = (message.channel, message.ts)
        if isinstance(message, Message):
            self._message_labels.setdefault(key, f"m{len(self._message_labels) + 1}")
        channel = "#" + self.standin.channel(message.channel).name
        label = f"{channel} {self._message_labels[key]}" if key in self._message_labels else channel
        text = render_message(message, names=self.names, start=self._next_control, label=label)
        self._register(message.blocks, _Control({}, message=key))
        return text

    def _render_view(self, view: View) -> str:
        text = render_view(view, names=self.names, start=self._next_control)
        self._register(view.blocks, _Control({}, view_id=view.id))
        return text

    def _register(self, blocks: list[dict[str, Any]], where: _Control) -> None:
        for block_id, element in controls_of(blocks):
            self._controls[self._next_control] = _Control(element, where.message, where.view_id, block_id)
            self._next_control += 1

    def _say(self, text: str) -> None:
        self.out.write(text + "\n")


def _pick(element: Mapping[str, Any], choice: str) -> dict[str, Any]:
    """The option numbered `choice`, or labelled or valued so, or the one option whose label
    holds it as whole words (`Fire` for "Fire (Fire)", `hook` for "TikTok hook + caption")."""
    options = options_of(element)
    if choice.isdigit() and 1 <= int(choice) <= len(options):
        return options[int(choice) - 1]
    wanted = choice.strip().lower()
    for option in options:
        if wanted in (text_of(option.get("text")).lower(), str(option.get("value")).lower()):
            return option
    labels = [text_of(o.get("text")) for o in options]
    named = [o for o, label in zip(options, labels, strict=True) if _names(label.lower(), wanted)]
    if len(named) == 1:
        return named[0]
    if named:
        raise ConsoleError(
            f"{choice!r} could be " + ", ".join(text_of(o.get("text")) for o in named) + "; say which"
        )
    raise ConsoleError(f"no option {choice!r}; choose from " + ", ".join(labels))


def _names(label: str, wanted: str) -> bool:
    """Whether `wanted` is whole words of `label`: "fire" names "fire (fire)" and "hook" names
    "tiktok hook + caption", but "fire" does not name "firework"."""
    at = label.find(wanted)
    while at >= 0:
        end = at + len(wanted)
        if not label[at - 1 : at].isalnum() and not label[end : end + 1].isalnum():
            return True
        at = label.find(wanted, at + 1)
    return False


def _find_input(view: View, ref: str) -> dict[str, Any]:
    inputs = [b for b in view.blocks if b.get("type") == "input"]
    if ref.isdigit() and 1 <= int(ref) <= len(inputs):
        return inputs[int(ref) - 1]
    for block in inputs:
        if ref.lower() in (block["block_id"].lower(), text_of(block.get("label")).lower()):
            return block
    raise ConsoleError(f"no field {ref!r} in this modal")


def _typed_value(element: Mapping[str, Any], raw: str, standin: SlackStandIn) -> Any:
    """What Slack's client would put in view.state for this element after the person typed `raw`."""
    kind = element["type"]
    if options_of(element):
        picks = (
            [_pick(element, part.strip()) for part in raw.split(",")]
            if is_multi(kind)
            else [_pick(element, raw)]
        )
        return picks if is_multi(kind) else picks[0]
    if kind in ("users_select", "multi_users_select"):
        users = [standin.user_by_name(part.strip().lstrip("@")) for part in raw.split(",")]
        if None in users:
            raise ConsoleError(f"unknown user in {raw!r}")
        ids = [u.id for u in users if u is not None]
        return ids if is_multi(kind) else ids[0]
    if kind == "file_input":
        # The person picks a file on their machine; Slack uploads it as it is picked.
        path = Path(raw).expanduser()
        if not path.is_file():
            raise ConsoleError(f"no file {raw!r} to attach")
        return [standin.attach_file("console", path.name, path.read_bytes())]
    if kind == "number_input" and not re.fullmatch(r"-?\d+(\.\d+)?", raw):
        raise ConsoleError(f"{raw!r} is not a number")
    return raw


def run(
    workspace: Workspace,
    standin: SlackStandIn,
    user: str,
    *,
    stdin: TextIO,
    stdout: TextIO,
    settle: Settle = Settle(),
) -> None:
    """The read-act-show loop, until `quit` or end of input.

    What others post meanwhile (a worker's draft, say) prints as it arrives, above a fresh
    prompt, as a Slack client shows new messages without waiting for you to type.
    """
    console = Console(workspace, standin, user, stdout, settle)
    channel = standin.channel(console.channel).name
    stdout.write(f"Slack stand-in: you are {console.names[user]} in #{channel}. Type help.\n")
    stdout.write(_kept(standin) + "\n")
    # One writer at a time: the loop while it acts on a line, the follower while the person types.
    screen = threading.Lock()
    waiting = threading.Event()
    done = threading.Event()
    follower = threading.Thread(
        target=_follow, args=(console, screen, waiting, done), name="console-follower", daemon=True
    )
    follower.start()
    try:
        while True:
            with screen:
                console.show_new()
                stdout.write(console.prompt)
                stdout.flush()
                waiting.set()
            line = stdin.readline()
            with screen:
                waiting.clear()
                if not line or (not console.typing and line.strip() in ("quit", "exit")):
                    stdout.write("\n" if not line else "")
                    return
                try:
                    console.handle(line)
                except (ConsoleError, LookupError, ValueError) as error:
                    stdout.write(f"! {error}\n")
                except httpx.HTTPError as error:
                    stdout.write(f"! could not reach the app: {error}\n")
    finally:
        done.set()
        follower.join()


def _follow(
    console: Console, screen: threading.Lock, waiting: threading.Event, done: threading.Event
) -> None:
    while not done.is_set():
        with contextlib.suppress(TimeoutError):
            console.standin.wait_for(lambda: console.behind or done.is_set(), timeout=0.5)
        if done.is_set():
            return
        with screen:
            if waiting.is_set() and console.behind:
                # The new lines go above a fresh prompt; what the person had typed stays theirs.
                if console.show_new(lead="\n"):
                    console.out.write(console.prompt)
                console.out.flush()
        # While a line is being acted on the loop shows the changes itself; do not spin meanwhile.
        waiting.wait(0.5)


def _kept(standin: SlackStandIn) -> str:
    if standin.state_file is None:
        return "Messages last while the console runs: they are gone when it stops."
    if standin.state_problem:
        return f"The workspace starts empty: {standin.state_problem}"
    kept = {
        standin.channel(channel).name: count
        for channel, count in standin.kept_messages().items()
        if not channel.startswith("D")
    }
    if not kept:
        return f"Messages are kept in {standin.state_file} for next time."
    listed = ", ".join(
        f"{count} message{'s' if count != 1 else ''} in #{name}" for name, count in kept.items()
    )
    first = next(iter(kept))
    return f"Kept from last time: {listed}. `read #{first}` shows the latest."
