"""The warm server's side of its channel (no fork happens here): a launch that its launcher
gave up on (an exit queued behind it) is not forked, and a launcher gone while the server
answers leaves it reaping only."""

from __future__ import annotations

import socket

from sec_assets.deploy.warm_server import Server


def _server() -> tuple[Server, socket.socket]:
    ours, theirs = socket.socketpair()
    return Server(ours, instance_ref=None), theirs


def test_a_launch_queued_before_an_exit_is_not_forked() -> None:
    server, launcher = _server()
    launcher.sendall(b'{"op": "launch", "run_id": "r1"}\n{"op": "exit"}\n')
    assert server._answer([object()]) is False
    assert server.workers == {}


def test_a_partial_line_waits_for_its_end() -> None:
    server, launcher = _server()
    launcher.sendall(b'{"op": "ex')
    assert server._answer([object()]) is True  # nothing whole yet: nothing done
    launcher.sendall(b'it"}\n')
    assert server._answer([object()]) is False


def test_an_answer_the_launcher_cannot_take_stops_the_server_taking_runs() -> None:
    server, launcher = _server()
    launcher.close()
    assert server.send({"pid": 1}) is False


def test_sigterm_leaves_the_server_reaping_only() -> None:
    server, _launcher = _server()
    server.stop()
    assert server.stopping
    server.serve()  # returns at once: no request taken, no worker left to reap
