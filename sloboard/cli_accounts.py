"""``sloboard user ...``: the people allowed in.

A password is asked for at the prompt (twice, not echoed) or read as one line from
standard input with ``--password-stdin``; never from an argument, which would sit in the
shell history and in every process listing.
"""

from __future__ import annotations

import sys

import click

from .cli_common import cli_actor
from .errors import InputError


def _read_password(password_stdin: bool) -> str:
    from .credentials import check_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True, err=True)
    try:
        check_password(password)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    return password


def _when(epoch: float | None) -> str:
    from .timeparse import iso

    return "-" if epoch is None else iso(int(epoch))


_password_stdin = click.option("--password-stdin", is_flag=True,
                               help="Read the password as one line from standard input instead of a prompt.")


@click.group()
def user() -> None:
    """People who log in to the dashboard: viewer, editor (also records deployments and
    builds reports) or admin (also manages users and tokens, sees the audit log)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "editor", "admin"]), default="viewer", show_default=True,
              help="What the user may do.")
@_password_stdin
@click.pass_obj
def user_add(obj, name: str, role: str, password_stdin: bool) -> None:
    """Add user NAME with a password (at least 12 characters), hashed with Argon2id.

    NAME is 1 to 64 letters, digits or the characters . _ @ + -, starting with a letter
    or digit (an e-mail address works)."""
    from .credentials import check_user_name, hash_password

    try:
        check_user_name(name)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    password_hash = hash_password(_read_password(password_stdin))
    store = obj.open_store()
    try:
        store.add_user(name, role, password_hash, actor=cli_actor())
    finally:
        store.close()
    click.echo(f"added user {name} ({role})")


@user.command("passwd")
@click.argument("name")
@_password_stdin
@click.pass_obj
def user_passwd(obj, name: str, password_stdin: bool) -> None:
    """Set a new password for user NAME."""
    from .credentials import hash_password

    store = obj.open_store()
    try:
        if store.user(name) is None:
            raise InputError(f"no user {name!r}; see `sloboard user list`")
        store.set_password(name, hash_password(_read_password(password_stdin)), actor=cli_actor())
    finally:
        store.close()
    click.echo(f"changed the password of {name}")


@user.command("remove")
@click.argument("name")
@click.pass_obj
def user_remove(obj, name: str) -> None:
    """Remove user NAME; the audit log keeps what they did."""
    store = obj.open_store()
    try:
        store.remove_user(name, actor=cli_actor())
    finally:
        store.close()
    click.echo(f"removed user {name}")


@user.command("list")
@click.pass_obj
def user_list(obj) -> None:
    """Every user with role and last change."""
    store = obj.open_store()
    try:
        users = store.users()
    finally:
        store.close()
    for u in users:
        click.echo(f"{u.name}\t{u.role}\tchanged {_when(u.updated_at)}")
    if not users:
        click.echo("no users; add one with `sloboard user add NAME --role admin`", err=True)
