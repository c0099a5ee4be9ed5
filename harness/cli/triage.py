"""`harness triage`: list the stored verdicts and say what they are.

    harness triage                          open verdicts, untriaged first
    harness triage expected KEY --note "new augmentation" [--expires 30d]
    harness triage invalid --commit abc123 --note "runner throttled"
    harness triage fixed KEY --fixed-by def456
    harness triage clear KEY

Triage lives in the store, so every runner of a fleet sees it; a triaged verdict no longer
fails a nightly or alerts, and the sheet shows it with its note.
"""

from __future__ import annotations

import argparse

from harness.cli.output import console, print_verdicts
from harness.cli.results import open_existing
from harness.errors import EXIT_OK
from harness.records import TriageState

ACTIONS = ("list", *(state.value for state in TriageState), "clear")


def register(subparsers) -> None:
    """Add the `triage` subcommand."""
    parser = subparsers.add_parser(
        "triage", help="list verdicts, or mark them acknowledged, expected, invalid or fixed",
        description="List the stored verdicts (default), or set their triage: acknowledged, "
                    "expected, invalid (a false alarm), fixed (by a commit), or clear it.")
    parser.add_argument("action", nargs="?", default="list", choices=ACTIONS,
                        help="list (default), a triage state, or clear")
    parser.add_argument("keys", nargs="*", metavar="KEY", help="verdict keys or prefixes")
    parser.add_argument("--commit", default="", help="every verdict whose first bad run is at "
                                                     "this commit (prefix)")
    parser.add_argument("--run", default="", help="every verdict whose first bad run is this "
                                                  "run (id prefix)")
    parser.add_argument("--note", default="", help="why (shown in the sheet and reports)")
    parser.add_argument("--fixed-by", default="", metavar="SHA", help="with fixed: the commit")
    parser.add_argument("--expires", metavar="WHEN",
                        help="the triage lapses after this: 30d, 12h, 2w or a date")
    parser.add_argument("--all", action="store_true", help="with list: retracted ones too")
    parser.set_defaults(handler=triage_command)


def _list(store, show_all: bool) -> int:
    items = [item for item in store.verdicts() if show_all or item.is_open]
    items.sort(key=lambda item: (item.triaged(), not item.verdict.is_regression,
                                 item.first_seen_at))
    out = console()
    if not items:
        out.print("No verdicts yet." if show_all else "No open verdicts.")
        return EXIT_OK
    print_verdicts(out, items)
    untriaged = sum(not item.triaged() for item in items)
    out.print(f"{len(items)} verdict(s), {untriaged} untriaged. Triage one: harness triage "
              "expected KEY --note WHY")
    return EXIT_OK


def triage_command(args: argparse.Namespace) -> int:
    """List verdicts, or set or clear the triage of the chosen ones."""
    # pylint: disable=import-outside-toplevel  # the stage loads only when triaging
    from harness.stages.triage import set_triage

    store = open_existing(args)
    if args.action == "list":
        return _list(store, args.all)
    state = None if args.action == "clear" else args.action
    chosen = set_triage(store, state, keys=args.keys, commit=args.commit, run=args.run,
                        note=args.note, fixed_by=args.fixed_by, expires=args.expires)
    out = console()
    what = "cleared the triage of" if state is None else f"marked {state}:"
    out.print(f"{what} {len(chosen)} verdict(s)")
    for item in chosen:
        out.print(f"  {item.key[:8]}  {item.verdict.kind.value}  {item.verdict.test}  "
                  f"{item.verdict.metric}", soft_wrap=True)
    out.print("The next `harness publish` (or nightly) shows it in the sheet.")
    return EXIT_OK
