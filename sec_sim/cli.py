"""``sec-sim``: serve the simulator, print the true outages of a month, or print an answer."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

from sec_sim.config import DEFAULT_PREFIX, SimConfig
from sec_sim.faults import FaultKind, FaultRule
from sec_sim.hostile import HOSTILE_DAYS
from sec_sim.runner import start_simulator
from sec_sim.server import encode_json
from sec_sim.service import SimService
from sec_sim.timeutil import chile_now, hour_dt, hour_key, parse_hour_key
from sec_sim.truth import DEFAULT_SEED, truth_events, truth_hourly

_RULE_OPTIONS = {
    "times": int,
    "p": float,
    "probability": float,
    "delay": float,
    "delay_s": float,
    "retry_after": int,
    "retry_after_s": int,
    "method": str,
}
_RULE_FIELDS = {"p": "probability", "delay": "delay_s", "retry_after": "retry_after_s"}


def _expand_hours(spec: str) -> list[str]:
    """``2024-08-02T10,2024-08-03T00..2024-08-03T05`` -> a list of hour keys."""
    out: list[str] = []
    for part in filter(None, spec.split(",")):
        if ".." in part:
            first, last = (parse_hour_key(p) for p in part.split("..", 1))
            out.extend(hour_key(h) for h in range(first, last + 1))
        else:
            out.append(hour_key(parse_hour_key(part)))
    return out


def parse_fault(spec: str) -> FaultRule:
    """``KIND[:HOURS][:times=N][:p=0.3][:delay=2][:retry_after=5][:method=Get]``."""
    kind, *parts = spec.split(":")
    fields: dict[str, Any] = {"kind": FaultKind(kind.strip())}
    for part in parts:
        if "=" in part:
            name, value = part.split("=", 1)
            if name not in _RULE_OPTIONS:
                raise ValueError(f"unknown fault option {name!r} in {spec!r}")
            fields[_RULE_FIELDS.get(name, name)] = _RULE_OPTIONS[name](value)
        elif part:
            fields["hours"] = _expand_hours(part)
    return FaultRule(**fields)


def _era(value: str) -> str | date:
    if value in ("current", "legacy", "auto"):
        return value
    return date.fromisoformat(value)


class _DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default, unless the help already says it or the
    option is a flag (off unless given)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, []) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    fmt = _DefaultsHelp
    parser = argparse.ArgumentParser(prog="sec-sim", description=__doc__, formatter_class=fmt)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve",
        help="run the HTTP simulator until Ctrl-C / SIGTERM",
        description="Serve the SEC endpoints at http://HOST:PORT/PREFIX (printed on start): "
        "point SEC_BASE_URL at that URL.",
        formatter_class=fmt,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8765, help="port to listen on (0: any free)")
    serve.add_argument(
        "--prefix", default=DEFAULT_PREFIX, help="path of the endpoints, as the real service's"
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a fault, repeatable: KIND[:HOURS][:times=N][:p=P][:delay=S]"
        f"[:retry_after=S][:method=M]; KIND one of {', '.join(k.value for k in FaultKind)}; "
        "HOURS like 2024-08-02T10,2024-08-03T00..2024-08-03T05 (default: none, every hour "
        "answered as the service would)",
    )
    serve.add_argument(
        "--no-gap",
        action="store_true",
        help="do not emulate the 2025-01-03 gap (default: emulated)",
    )
    serve.add_argument(
        "--revision-rate",
        type=float,
        default=SimConfig.model_fields["revision_rate"].default,
        help="share of recent hours first published with preliminary (later revised) counts",
    )
    serve.add_argument(
        "--hostile",
        action="store_true",
        help="hostile answers at 06:00 of fixed days of every month: "
        + ", ".join(f"day {d} {c}" for d, c in HOSTILE_DAYS.items())
        + " (sec_sim/hostile.py has the table; default: off)",
    )
    serve.add_argument(
        "--hostile-body-bytes",
        type=int,
        default=2 * 1024 * 1024,
        help="size of the 'oversized' junk answer (default: %(default)s)",
    )
    serve.add_argument(
        "--hostile-drip-s",
        type=float,
        default=6.0,
        help="how long the 'drip' answer takes (default: %(default)s)",
    )
    serve.add_argument(
        "--series-disagree",
        default="",
        metavar="HOURS",
        help="Get's national figure x1.5 at these hours, e.g. 2024-08-02T10..2024-08-02T12 "
        "(default: none, Get agrees with GetPorFecha)",
    )

    truth = sub.add_parser("truth", help="print the true outages of a month", formatter_class=fmt)
    truth.add_argument("--month", required=True, help="YYYY-MM")
    truth.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output")
    truth.add_argument(
        "--hourly", action="store_true", help="hour x comuna x company instead (default: episodes)"
    )
    truth.add_argument(
        "--limit", type=int, default=None, help="print only the first N rows (default: all)"
    )

    answer = sub.add_parser(
        "answer", help="print the GetPorFecha body of one hour (no faults)", formatter_class=fmt
    )
    answer.add_argument("--hour", required=True, help="YYYY-MM-DDTHH (Chile local)")

    for command in (serve, truth, answer):
        command.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="seed of the synthetic outages"
        )
    for command in (serve, answer):
        command.add_argument(
            "--era",
            type=_era,
            default="current",
            help="current | legacy | auto | a cutover date YYYY-MM-DD",
        )
        command.add_argument(
            "--clock",
            type=datetime.fromisoformat,
            default=None,
            help="fixed simulator time, Chile local (default: now)",
        )
    return parser


def _serve(args: argparse.Namespace) -> int:
    extra: dict[str, Any] = {}
    if args.revision_rate is not None:
        extra["revision_rate"] = args.revision_rate
    if args.series_disagree:
        extra["series_disagree_hours"] = _expand_hours(args.series_disagree)
    config = SimConfig(
        seed=args.seed,
        era=args.era,
        host=args.host,
        port=args.port,
        prefix=args.prefix,
        clock=args.clock,
        known_gap=not args.no_gap,
        faults=[parse_fault(s) for s in args.fault],
        hostile=args.hostile,
        hostile_body_bytes=args.hostile_body_bytes,
        hostile_drip_s=args.hostile_drip_s,
        **extra,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        handle = start_simulator(config)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(
            f"sec-sim: {args.host}:{args.port} is already in use (another sec-sim?); "
            "choose another with --port (make sim SIM_PORT=…)",
            file=sys.stderr,
        )
        return 2
    try:
        print(handle.base_url, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        handle.close()
    return 0


def _print_frame(frame: pl.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        sys.stdout.write(frame.write_csv(datetime_format="%Y-%m-%dT%H:%M"))
    elif fmt == "json":
        sys.stdout.write(frame.write_json() + "\n")
    else:
        with pl.Config(
            tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, tbl_hide_dataframe_shape=False
        ):
            print(frame)


def _truth(args: argparse.Namespace) -> int:
    frame = (
        truth_hourly(args.month, args.seed) if args.hourly else truth_events(args.month, args.seed)
    )
    _print_frame(frame if args.limit is None else frame.head(args.limit), args.format)
    return 0


def _answer(args: argparse.Namespace) -> int:
    hour = parse_hour_key(args.hour)
    # Default clock: late enough that the hour is final (no preliminary counts), never future.
    clock = args.clock or max(chile_now(), hour_dt(hour + 24 * 30))
    service = SimService(SimConfig(seed=args.seed, era=args.era, clock=clock))
    sys.stdout.flush()
    sys.stdout.buffer.write(encode_json(service.por_fecha(hour)) + b"\n")
    sys.stdout.buffer.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"serve": _serve, "truth": _truth, "answer": _answer}[args.command]
    try:
        return handler(args)
    except ValueError as exc:
        print(f"sec-sim: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into `head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
