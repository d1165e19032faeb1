"""``registrar users``: officers' accounts, their second factors and their API tokens.

The operator at the console is trusted (the CLI is not limited by role); what is done here
is still in the audit log, as ``cli``. Passwords are read from a prompt or, for scripts,
from standard input (``--password-stdin``), never from the command line where ``ps`` shows them.
"""

from __future__ import annotations

import sys

import click

from registrar import accounts
from registrar.cli_notifications import _db, _fails_cleanly
from registrar.roles import ACCOUNT_ROLES

UNIT_HELP = "For a territorial commission's officer (role territorial): its unit's code (config/territory.toml, e.g. AST)."


@click.group("users")
def users() -> None:
    """Officers' accounts (one role each) and API tokens."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users.command("create")
@click.option("--role", required=True, type=click.Choice(ACCOUNT_ROLES), help="What the account may do (config/roles.toml).")
@click.option("--full-name", default="", help="The officer's name, as pages show it.")
@click.option("--language", type=click.Choice(["kk", "ru", "en"]), default=None, help="Pages' language (default: the browser's).")
@click.option("--unit", default=None, help=UNIT_HELP)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.argument("login")
@click.pass_context
@_fails_cleanly
def create(ctx: click.Context, role: str, full_name: str, language: str | None, unit: str | None, password_stdin: bool,
           login: str) -> None:  # fmt: skip
    """Create the account LOGIN with ROLE."""
    accounts.create_user(_db(ctx), login, role, _password(password_stdin), full_name=full_name, language=language or "",
                         unit=unit)  # fmt: skip
    click.echo(f"account {login} created: {role}" + (f" of {accounts.unit_code(unit)}" if unit else ""))


@users.command("password")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.argument("login")
@click.pass_context
@_fails_cleanly
def password(ctx: click.Context, password_stdin: bool, login: str) -> None:
    """Set a new password for LOGIN."""
    accounts.set_password(_db(ctx), login, _password(password_stdin))
    click.echo(f"password of {login} changed")


@users.command("disable")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@click.argument("login")
@click.pass_context
@_fails_cleanly
def disable(ctx: click.Context, enable: bool, login: str) -> None:
    """Disable LOGIN: its sessions and tokens stop working at once."""
    accounts.set_disabled(_db(ctx), login, not enable)
    click.echo(f"account {login} {'enabled' if enable else 'disabled'}")


@users.command("role")
@click.option("--unit", default=None, help=UNIT_HELP)
@click.argument("login")
@click.argument("role", type=click.Choice(ACCOUNT_ROLES))
@click.pass_context
@_fails_cleanly
def role(ctx: click.Context, unit: str | None, login: str, role: str) -> None:
    """Give LOGIN the role ROLE (the last enabled admin keeps its role)."""
    accounts.set_role(_db(ctx), login, role, unit=unit)
    click.echo(f"account {login}: {role}" + (f" of {accounts.unit_code(unit)}" if unit else ""))


@users.command("profile")
@click.option("--full-name", default=None, help="The officer's name, as pages show it.")
@click.option("--language", type=click.Choice(["kk", "ru", "en", "browser"]), default=None,
              help="Pages' language ('browser': the browser's).")  # fmt: skip
@click.argument("login")
@click.pass_context
@_fails_cleanly
def profile(ctx: click.Context, full_name: str | None, language: str | None, login: str) -> None:
    """Change the name or the language of LOGIN."""
    accounts.set_profile(_db(ctx), login, full_name=full_name, language="" if language == "browser" else language)
    click.echo(f"account {login} changed")


@users.command("second-factor-off")
@click.argument("login")
@click.pass_context
@_fails_cleanly
def second_factor_off(ctx: click.Context, login: str) -> None:
    """Remove the second factor of LOGIN (an officer, or the admin, who lost their phone): the password
    alone logs in again, or, where the operator requires one, sets up a new one; its sessions end."""
    removed = accounts.remove_second_factor(_db(ctx), login)
    click.echo(f"second factor of {login} removed" if removed else f"{login} has no second factor")


@users.command("token")
@click.option("--scope", type=click.Choice(accounts.TOKEN_SCOPES), default="api", show_default=True,
              help="api: the JSON API with the account's role; feed: the iCalendar feed of its deadlines only.")  # fmt: skip
@click.argument("login")
@click.argument("name")
@click.pass_context
@_fails_cleanly
def token(ctx: click.Context, scope: str, login: str, name: str) -> None:
    """Issue a token NAME for LOGIN and print its secret (shown this once; a token of the same name is revoked)."""
    click.echo(accounts.issue_token(_db(ctx), login, name, scope=scope))


@users.command("revoke")
@click.argument("login")
@click.argument("name")
@click.pass_context
@_fails_cleanly
def revoke(ctx: click.Context, login: str, name: str) -> None:
    """Revoke the token NAME of LOGIN."""
    count = accounts.revoke_token(_db(ctx), login, name)
    click.echo(f"revoked {count} token(s) named {name!r} of {login}")


@users.command("list")
@click.pass_context
@_fails_cleanly
def list_users(ctx: click.Context) -> None:
    """Every account: login, role (and a territorial officer's unit), name, and whether it is disabled."""
    for account, disabled in accounts.list_accounts(_db(ctx)):
        flag = "  (disabled)" if disabled else ""
        role = f"{account.role} {account.unit}" if account.unit else account.role
        click.echo(f"{account.login:<24} {role:<11} {account.full_name}{flag}")
