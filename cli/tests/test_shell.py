"""`entente` with no command: the shell on a pseudo-terminal, and fed by a pipe.

CTest sets ENTENTE to the tool and ENTENTED to the server the `server` fixture starts.
libedit redraws the line after a completion with cursor motions, so what a TAB did is
checked by what the line then runs and by the history file, which keeps lines as entered.
"""

import fcntl
import os
import re
import select
import signal
import socket
import struct
import subprocess
import termios
import time

import pytest

from entente_fixtures import running_server

ENTENTE = os.environ.get("ENTENTE", "")


def _take_terminal():
    """In the child: make the pseudo-terminal (stdin) its controlling terminal, so that
    Ctrl-C raises SIGINT."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """entente on a pseudo-terminal: type keys, wait for output."""

    def __init__(self, server, tmp_path, history):
        assert ENTENTE, "set ENTENTE to the path of the entente binary"
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        env = dict(os.environ, TERM="xterm", HOME=str(tmp_path), ENTENTE_HISTORY=str(history))
        self.proc = subprocess.Popen([ENTENTE, "--server", server], stdin=slave, stdout=slave,
                                     stderr=slave, env=env, start_new_session=True,
                                     preexec_fn=_take_terminal, close_fds=True)
        os.close(slave)
        self.master = master
        self.output = b""
        self.searched = 0  # expect() looks after what it found last

    def type(self, keys):
        os.write(self.master, keys.encode())

    def _read(self, seconds):
        ready, _, _ = select.select([self.master], [], [], seconds)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child is gone
            return False
        self.output += data
        return bool(data)

    def expect(self, text, seconds=10):
        """Waits until `text` is output; returns what came before it since the last match."""
        wanted = text.encode()
        give_up = time.monotonic() + seconds
        while True:
            found = self.output.find(wanted, self.searched)
            if found >= 0:
                before = self.output[self.searched:found].decode(errors="replace")
                self.searched = found + len(wanted)
                return before
            left = give_up - time.monotonic()
            if left <= 0 or (not self._read(min(left, 0.2)) and self.proc.poll() is not None):
                pytest.fail(f"no {text!r} in the output:\n{self.output.decode(errors='replace')}")

    def prompt(self, seconds=10):
        """Waits for the prompt and for libedit to take the terminal (a Ctrl-D typed before,
        while the line discipline still reads whole lines, is not a key libedit sees);
        returns what was output before the prompt."""
        before = self.expect("entente> ", seconds)
        give_up = time.monotonic() + seconds
        while termios.tcgetattr(self.master)[3] & termios.ICANON:
            if time.monotonic() > give_up:
                pytest.fail("libedit did not set the terminal up")
            time.sleep(0.005)
        return before

    def quiet(self, seconds=0.5):
        """What is output in the next `seconds`."""
        start = len(self.output)
        give_up = time.monotonic() + seconds
        while time.monotonic() < give_up:
            self._read(0.05)
        self.searched = len(self.output)
        return self.output[start:].decode(errors="replace")

    def wait(self, seconds=10):
        """The exit status, once the shell has ended."""
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.quiet(0.2)
            pytest.fail(f"still running:\n{self.output.decode(errors='replace')}")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


@pytest.fixture
def shell(server, tmp_path):
    """Starts shells on `server`, sharing one history file; kills what is left at the end."""
    started = []

    def start(address=server):
        terminal = Terminal(address, tmp_path, tmp_path / "history")
        started.append(terminal)
        terminal.prompt()
        return terminal

    yield start
    for terminal in started:
        terminal.close()


def history(tmp_path):
    return (tmp_path / "history").read_text().splitlines()


def listing(text):
    """The (candidate, note) rows of a second TAB's listing in `text`, which starts on the
    line after the one typed."""
    rows = text.replace("\r", "").split("\n", 1)[1]
    return re.findall(r"^(\S.*?)(?: {2,}(\S.*?))?\s*$", rows, re.M)


def test_tab_completes_commands_and_names(shell, tmp_path):
    terminal = shell()
    terminal.type("tim\t\r")  # "timeline " with no entity
    assert "entente timeline: missing ENTITY" in terminal.prompt()

    # One TAB never picks one of several names: Iran, Iraq, Ireland and the agreements and
    # organizations named after Iran share only "Ir", so "Ir" stays. A second TAB lists them
    # with their kinds, names beginning with "Ir" first, and writes the line again.
    terminal.type("timeline Ir\t")
    terminal.quiet(1.0)
    terminal.type("\t")
    rows = listing(terminal.expect("entente> timeline Ir"))
    names = [name for name, _ in rows]
    assert ("Iran", "STATE") in rows and ("Ireland", "STATE") in rows, rows
    assert names.index("Iran") < names.index("Ireland") < names.index(
        '"Ministry of Defence (Iran)"'), rows  # found by its id, iran_defense_ministry
    assert ('"Ministry of Defence (Iran)"', "ORGANIZATION, id iran_defense_ministry") in rows
    terminal.type("an --from 2025-01-17 --to 2025-01-17\r")
    assert "Pezeshkian" in terminal.prompt()
    assert history(tmp_path)[-1] == "timeline Iran --from 2025-01-17 --to 2025-01-17"

    # After --roll-up the states come first.
    terminal.type("neighbors --roll-up Ir\t\t")
    rows = listing(terminal.expect("entente> neighbors --roll-up Ir"))
    kinds = [note.split(",")[0] for _, note in rows]
    assert kinds[:3] == ["STATE"] * 3 and "STATE" not in kinds[3:], rows
    assert [name for name, _ in rows[:3]] == ["Iran", "Iraq", "Ireland"], rows
    terminal.type("\x15help\r")  # Ctrl-U empties the line
    assert "Commands:" in terminal.prompt()

    # A name alone completes whole; an alias is never replaced by the name it stands for.
    terminal.type("show Tehra\t\r")
    assert "IRN" in terminal.prompt()
    terminal.type('show "North K\t\r')
    assert "PRK" in terminal.prompt()
    terminal.type("timeline Iran --b\tm\t\r")
    terminal.prompt()
    assert history(tmp_path)[-3:] == ["show Tehran", 'show "North Korea" ',
                                      "timeline Iran --by month "]


@pytest.fixture(scope="module")
def icews_server():
    """A seeded entented of its own with the ICEWS 2014 sample imported (its 17 actors
    whose names start with "Ir" are what a TAB must not choose among)."""
    events = os.environ.get("ICEWS_EVENTS")
    assert events, "set ICEWS_EVENTS to ../shared/data/icews14/events.tsv"
    with running_server() as address:
        run = subprocess.run([ENTENTE, "--server", address, "import", events],
                             capture_output=True, text=True, timeout=300)
        assert "lines read" in run.stdout, run.stdout + run.stderr
        yield address


def test_an_ambiguous_prefix_on_event_data_stays_as_typed(icews_server, tmp_path):
    terminal = Terminal(icews_server, tmp_path, tmp_path / "history")
    try:
        terminal.prompt()
        terminal.type("timeline Ir\t")
        terminal.quiet(1.0)
        terminal.type("\t")
        rows = listing(terminal.expect("entente> timeline Ir"))
        assert len(rows) > 10 and '"Irakli Alasania"' in [name for name, _ in rows], rows
        # Enter runs what was typed: no entity is called "Ir".
        terminal.type("\r")
        assert 'no entity is called "Ir"' in terminal.prompt()

        terminal.type("timeline --roll-up Ir\t\t")
        rows = listing(terminal.expect("entente> timeline --roll-up Ir"))
        kinds = [note.split(",")[0] for _, note in rows]
        states = kinds.count("STATE")
        assert states >= 3 and kinds[:states] == ["STATE"] * states, rows
        terminal.type("\x15\x04")  # Ctrl-U empties the line, Ctrl-D ends the shell
        assert terminal.wait() == 0
    finally:
        terminal.close()
    assert (tmp_path / "history").read_text().splitlines()[-1] == "timeline Ir"


def test_errors_do_not_end_the_shell(shell):
    terminal = shell()
    terminal.type("timline Iran\r")
    error = terminal.prompt()
    assert 'unknown command "timline"; did you mean timeline?' in error
    terminal.type('show "Iran\r')
    assert 'unterminated " quote' in terminal.prompt()
    terminal.type("show Atlantis\r")
    assert 'no entity is called "Atlantis"' in terminal.prompt()
    terminal.type("stats --server 127.0.0.1:1\r")
    assert "--server is set when the session starts" in terminal.prompt()
    # Ctrl-C drops the line being typed.
    terminal.type("resolve Teh\x03")
    terminal.prompt()
    terminal.type("resolve Tehran\r")
    assert "IRN" in terminal.prompt()
    terminal.type("\x04")  # Ctrl-D
    assert terminal.wait() == 0


def test_history_is_kept_across_runs(shell, tmp_path):
    (tmp_path / "history").write_text("".join(f"old {i}\n" for i in range(1200)))
    terminal = shell()
    for _ in range(2):
        terminal.type("resolve Tehran\r")
        assert "IRN" in terminal.prompt()
    terminal.type("quit\r")
    assert terminal.wait() == 0
    lines = history(tmp_path)
    # Cut to the newest 1000 at the start; a line repeated right away is kept once.
    assert len(lines) == 1002
    assert lines[-3:] == ["old 1199", "resolve Tehran", "quit"]

    terminal = shell()
    terminal.type("\x1b[A\x1b[A\r")  # Up, Up, Enter
    assert "IRN  Iran" in terminal.prompt()
    terminal.type("\x04")
    assert terminal.wait() == 0
    assert history(tmp_path)[-3:] == ["resolve Tehran", "quit", "resolve Tehran"]


def test_completion_without_a_server_completes_nothing(shell):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        nowhere = "127.0.0.1:%d" % probe.getsockname()[1]
    terminal = shell(nowhere)
    terminal.type("timeline Ir\t")
    shown = terminal.quiet(1.5)
    assert "entente" not in shown and "UNAVAILABLE" not in shown
    terminal.type("\x15help resolve\r")
    assert "usage: entente resolve" in terminal.prompt()
    terminal.type("stats\r")
    assert "cannot reach" in terminal.prompt()
    terminal.type("\x04")
    assert terminal.wait() == 0


def test_piped_lines_run_without_a_prompt(server):
    run = subprocess.run([ENTENTE, "--server", server],
                         input="resolve Tehran\n# a comment\nstats\n",
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert "IRN" in run.stdout and "entities" in run.stdout
    assert "entente>" not in run.stdout + run.stderr

    run = subprocess.run([ENTENTE, "--server", server, "--json"],
                         input="timline\nresolve Tehran\nquit\nstats --bogus\n",
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2
    assert "did you mean timeline?" in run.stderr
    assert '"IRN"' in run.stdout  # --json holds for the session
    assert "--bogus" not in run.stderr  # after quit


def test_a_second_ctrl_c_ends_a_hung_command(tmp_path):
    # A server that accepts connections and never answers: the call hangs.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        terminal = Terminal("127.0.0.1:%d" % silent.getsockname()[1], tmp_path,
                            tmp_path / "history")
        try:
            terminal.prompt()
            terminal.type("stats\r")
            terminal.quiet(0.3)
            terminal.type("\x03")
            terminal.expect("Ctrl-C again ends the shell")
            terminal.type("\x03")
            assert terminal.wait() == -signal.SIGINT
        finally:
            terminal.close()
