"""Thin command-line wrappers over the domain modules."""

import signal
import sys
import threading
from datetime import timedelta

import click
from flask import Flask, current_app

from . import contact, demo, digest, letters, mail, moderators, search, signatures, tally
from .audit import Actor
from .compilation import assembly, cleanup, service
from .models import Role


def register(app: Flask) -> None:
    app.cli.add_command(create_moderator)
    app.cli.add_command(reset_one_time_codes)
    app.cli.add_command(seed_demo)
    app.cli.add_command(check_count)
    app.cli.add_command(rebuild_search_index)
    app.cli.add_command(purge_unconfirmed)
    app.cli.add_command(erase_contacts)
    app.cli.add_command(build_pdf)
    app.cli.add_command(resanitize_letters)
    app.cli.add_command(send_mail)


@click.command("create-moderator")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.MODERATOR.value, show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
def create_moderator(email: str, role: str, password_stdin: bool) -> None:
    """Create a moderator account. The password is never taken from the command line."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        moderator = moderators.create(email, password, role=Role(role))
    except moderators.WeakPassword as error:
        raise click.ClickException(str(error)) from None
    except moderators.EmailTaken:
        raise click.ClickException(f"a moderator with the address {email} already exists") from None
    click.echo(f"created {moderator.role} {moderator.email}")


@click.command("reset-one-time-codes")
@click.argument("email")
def reset_one_time_codes(email: str) -> None:
    """Forget a moderator's authenticator and recovery codes (a lost phone); audited. They set up new
    ones at their next sign-in if their account needs codes."""
    moderator = moderators.by_email(email)
    if moderator is None:
        raise click.ClickException(f"no moderator has the address {email}")
    moderators.reset_totp(moderator, by=Actor.CLI)
    click.echo(f"one-time codes and recovery codes of {moderator.email} are reset")


@click.command("seed-demo")
@click.option("--letters", "count", type=click.IntRange(1, 1_000_000), default=60, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when any letter is already published.")
@click.option("--seed", "rng_seed", type=int, default=None, help="Random seed, for repeatable demo data.")
@click.option("--signatures", "signature_count", type=click.IntRange(0, 100_000), default=40, show_default=True,
              help="Co-signatures on one collective demo letter (0: none).")
def seed_demo(count: int, if_empty: bool, rng_seed: int | None, signature_count: int) -> None:
    """Publish synthetic letters in Hebrew, Arabic and English, spread over the past months."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("seed-demo refuses to run in production")
    if if_empty and tally.row().refusers > 0:
        click.echo("letters already published; nothing seeded")
        return
    demo.seed(count, rng_seed=rng_seed)
    if signature_count:
        demo.seed_collective(signature_count, rng_seed=rng_seed)
    click.echo(f"published {count} demo letters; {tally.row().refusers} public refusers")


@click.command("check-count")
@click.option("--repair", is_flag=True, help="Store the recounted values when they differ.")
def check_count(repair: bool) -> None:
    """Recount public refusers from the letters and report (or repair) any drift in the stored count."""
    drift = tally.check(repair=repair)
    if not drift:
        click.echo(f"count is exact: {tally.row().refusers} public refusers")
        return
    for item in drift:
        click.echo(f"{item.field}: stored {item.stored}, actual {item.actual}")
    if repair:
        click.echo("repaired")
    else:
        raise click.ClickException("the stored count has drifted; run again with --repair to fix it")


@click.command("rebuild-search-index")
def rebuild_search_index() -> None:
    """Index every published letter afresh (after the search rules changed, or to repair the index)."""
    click.echo(f"{search.rebuild()} published letters indexed")


@click.command("purge-unconfirmed")
def purge_unconfirmed() -> None:
    """Delete letters and signatures never confirmed within 7 days (run daily)."""
    count = letters.purge_unconfirmed()
    signed = signatures.purge_unconfirmed()
    days = letters.CONFIRMATION_WINDOW.days
    click.echo(f"deleted {count} unconfirmed letters and {signed} unconfirmed signatures older than {days} days")


@click.command("erase-contacts")
@click.option("--days", type=click.IntRange(0), default=None, help="Override CONTACT_RETENTION_DAYS.")
def erase_contacts(days: int | None) -> None:
    """Erase authors' and co-signers' e-mail addresses some days after their letter was decided, and
    delete contact messages as long after they were handled (run daily)."""
    days = current_app.config["CONTACT_RETENTION_DAYS"] if days is None else days
    count = letters.erase_contacts(after=timedelta(days=days))
    signed = signatures.erase_contacts(after=timedelta(days=days))
    messages = contact.purge_handled(after=timedelta(days=days))
    click.echo(f"erased the contact address of {count} letters and {signed} signatures decided more than {days} days ago")
    click.echo(f"deleted {messages} contact messages handled more than {days} days ago")


@click.command("resanitize-letters")
def resanitize_letters() -> None:
    """Make every stored letter's HTML again from its text with the sanitizer as it is now (after its
    rules changed); each change is audited, the text and its hash stay."""
    read, changed = letters.resanitize_all(by=Actor.CLI)
    for public_id in changed:
        click.echo(f"re-sanitized {public_id}")
    click.echo(f"{len(changed)} of {read} letters re-sanitized")


@click.command("build-pdf")
@click.option("--watch", is_flag=True, help="Keep them built as letters are published, withdrawn or corrected, until stopped (run as a service).")
def build_pdf(watch: bool) -> None:
    """Build the standard press compilations (all letters, and each language) for deployment or cron;
    with --watch, build them again after every public change (SIGTERM stops it after the build in hand)."""
    def echo(built) -> None:
        for selection, language, compiled in built:
            click.echo(f"{selection.name} ({language}): {compiled.letters} letters -> {compiled.path.name}")

    if not watch:
        echo(assembly.build_standard())
        days = current_app.config["PDF_KEEP_DAYS"]
        removed = cleanup.prune(timedelta(days=days))
        click.echo(f"removed {removed} cached PDF files no build used for {days} days")
        return
    service.become_builder_service()
    stop = _stopped_by_signals()
    click.echo("building the standard compilations after every public change, until stopped")
    try:
        service.keep_built(stop, report=echo)
    except service.ServiceRunning as running:
        raise click.ClickException(str(running)) from None


@click.command("send-mail")
@click.option("--loop", "--forever", "forever", is_flag=True, help="Keep sending as mail is queued, until stopped (run as a service).")
def send_mail(forever: bool) -> None:
    """Deliver the queued mail that is due, retrying failures, and the moderators' digest when it is due;
    with --loop, keep at it (SIGTERM stops it after the batch in hand). Any number may run at once, on
    any number of machines: one digest goes per window."""
    def echo(result: mail.Delivery) -> None:
        click.echo(f"sent {result.sent}; {result.retrying} failed and will be retried; {result.dropped} dropped")

    if not forever:
        mail.prune_marks()
        digest.queue_if_due()
        echo(mail.deliver_due())
        return
    stop = _stopped_by_signals()
    click.echo("sending queued mail until stopped")
    mail.send_until(stop, report=echo, every_minute=digest.queue_if_due)


def _stopped_by_signals() -> threading.Event:
    """An event that SIGTERM or SIGINT sets, for a service's loop to stop at."""
    stop = threading.Event()
    # Set from a thread of its own: the signal may come while this thread holds the event's lock
    # (inside stop.wait()), and setting it here would then wait for that lock forever.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: threading.Thread(target=stop.set).start())
    return stop
