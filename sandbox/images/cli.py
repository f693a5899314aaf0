"""``sandbox images build [RECIPE ...] [--force]``, ``sandbox images ls``,
``sandbox images prune`` and ``sandbox images official-toxiproxy DIR``: the subcommands that ``sandbox/cli.py`` adds through ``register``."""

from __future__ import annotations

import argparse

from sandbox.images.builder import ensure_images, list_images, prune_images
from sandbox.images.recipes import RECIPES
from sandbox.progress import ConsoleProgress


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``images`` command group to the ``sandbox`` parser."""
    images = subparsers.add_parser("images", help="build and list the sandbox's images")
    sub = images.add_subparsers(dest="images_command", required=True)
    build = sub.add_parser("build", help="build missing images (all recipes by default)")
    build.add_argument("recipes", nargs="*", metavar="RECIPE",
                       help=f"recipes to build: {', '.join(RECIPES)}")  # fmt: skip
    build.add_argument("--force", action="store_true", help="rebuild even if the tag exists")
    build.set_defaults(func=cmd_build)
    ls = sub.add_parser("ls", help="list the images built by sandbox")
    ls.set_defaults(func=cmd_ls)
    prune = sub.add_parser("prune", help="remove superseded builds (tags the inputs no longer give)")
    prune.set_defaults(func=cmd_prune)
    official = sub.add_parser(
        "official-toxiproxy",
        help="build an image of the official Toxiproxy server from its release binaries")
    official.add_argument("directory", metavar="DIR",
                          help="folder holding toxiproxy-server and toxiproxy-cli")
    official.add_argument("--quiet", action="store_true", help="print only the tag")
    official.set_defaults(func=cmd_official_toxiproxy)


def cmd_build(args: argparse.Namespace) -> int:
    recipes = set(args.recipes or RECIPES)
    tags = ensure_images(recipes, ConsoleProgress(), force=args.force)
    for recipe in sorted(tags):
        print(f"{recipe:<14} {tags[recipe]}")
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    rows = list_images()
    print(f"{'RECIPE':<24} {'TAG':<40} {'SIZE MB':>8}  CURRENT")
    for row in rows:
        print(f"{row['recipe']:<24} {row['tag']:<40} {row['size_mb']:>8}  {row['current']}")
    return 0


def cmd_official_toxiproxy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sandbox.images.official_toxiproxy import build_official_toxiproxy
    from sandbox.progress import SilentProgress

    progress = SilentProgress() if args.quiet else ConsoleProgress()
    tag = build_official_toxiproxy(Path(args.directory), progress)
    if args.quiet:
        print(tag)
    else:
        print(f"{tag}\nselect it with: export SANDBOX_IMAGE_TOXIPROXY={tag}")
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    removed = prune_images(ConsoleProgress())
    print(f"removed {len(removed)} superseded image tag(s)")
    return 0
