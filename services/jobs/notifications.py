"""The notification kinds jobs sends (registered from JobsConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from notifications.registry import Category, NotificationKind, register

from .interviews import interview_email_attachments

NEW_MATCHES = "jobs.new_matches"
MATCH_PROPOSED = "jobs.match_proposed"
MATCH_PROPOSED_LATER = "jobs.match_proposed_later"
PROPOSALS_DIGEST = "jobs.proposals_digest"
PROPOSAL_REMINDER = "jobs.proposal_reminder"
PROPOSAL_UNREACHABLE = "jobs.proposal_unreachable"
EMPLOYER_ANSWERED = "jobs.employer_answered"
INTERVIEW = "jobs.interview"
INTERVIEW_PLANNED = "jobs.interview_planned"
INTERVIEW_ANSWERED = "jobs.interview_answered"
HIRED = "jobs.hired"
MATCH_EXPIRED = "jobs.match_expired"
PROPOSAL_EXPIRED = "jobs.proposal_expired"
OFFER_EXPIRING = "jobs.offer_expiring"
STAFF_WEEKLY = "jobs.staff_weekly"

# The employer's members are e-mailed at most once a day about new proposals: the first of
# their day at once (MATCH_PROPOSED), the later ones in the inbox only
# (MATCH_PROPOSED_LATER, the same texts) and in one e-mail the next morning
# (PROPOSALS_DIGEST, digest.py).
_PROPOSED_TITLE = _("A candidate for {offer}")
_PROPOSED_BODY = _("Your partner landlord proposes a candidate for {offer}. Please answer.")

KINDS = (
    NotificationKind(
        code=NEW_MATCHES,
        category=Category.JOBS,
        title=_("New job offers for you"),
        body=_("{count} offers match your profile, the best: {best}."),
        link_type="job_matches",
    ),
    NotificationKind(
        code=MATCH_PROPOSED,
        category=Category.JOBS,
        title=_PROPOSED_TITLE,
        body=_PROPOSED_BODY,
        link_type="job_match",
        # Employers have no app: e-mail (with a sign-in link) is how they hear of it.
        channels=("inbox", "push", "email"),
        extra={"email_path": "/espace/candidats/{link_id}/"},
    ),
    NotificationKind(
        code=MATCH_PROPOSED_LATER,
        category=Category.JOBS,
        title=_PROPOSED_TITLE,
        body=_PROPOSED_BODY,
        link_type="job_match",
        channels=("inbox", "push"),  # the e-mail is the next morning's digest
    ),
    NotificationKind(
        code=PROPOSALS_DIGEST,
        category=Category.JOBS,
        title=_("More candidates for you ({count})"),
        body=_(
            "On {day}, your partner landlord also proposed candidates for: {offers}. "
            "They are waiting for your answer."
        ),
        link_type="job_matches",
        channels=("inbox", "push", "email"),
        ttl_seconds=24 * 3600,
        extra={"email_path": "/espace/"},
    ),
    NotificationKind(
        code=PROPOSAL_REMINDER,
        category=Category.JOBS,
        title=_("A candidate is waiting: {offer}"),
        body=_("A candidate proposed {days} days ago for {offer} is waiting for your answer."),
        link_type="job_match",
        channels=("inbox", "push", "email"),  # to employer members, like the proposal
        extra={"email_path": "/espace/candidats/{link_id}/"},
    ),
    NotificationKind(
        code=PROPOSAL_UNREACHABLE,
        category=Category.JOBS,
        title=_("Nobody can read your proposal: {offer}"),
        body=_(
            "The candidate you proposed {days} days ago for {offer} waits, and nobody at "
            "{employer} can receive it any more (no member with your access and job e-mails "
            "on). Invite or grant a member, or call the employer."
        ),
        link_type="job_match",
        # To the staff member who proposed it (unreachable.py), on the console's match page.
        channels=("inbox", "push", "email"),
        extra={"email_path": "/console/jobs/matches/{link_id}/"},
    ),
    NotificationKind(
        code=EMPLOYER_ANSWERED,
        category=Category.JOBS,
        title=_("{employer} answered"),
        body=_("About {offer}: {answer}"),
        link_type="job_match",
    ),
    NotificationKind(
        code=INTERVIEW,
        category=Category.JOBS,
        title=_("Interview: {offer}"),
        body=_("{employer} invites you on {when} at {where}."),
        link_type="job_match",
    ),
    NotificationKind(
        code=INTERVIEW_PLANNED,
        category=Category.JOBS,
        title=_("Interview planned: {offer}"),
        body=_(
            "The interview for {offer} is planned on {when} at {where}. "
            "The calendar event is attached to the e-mail."
        ),
        link_type="job_match",
        # To the employer's members: the confirmation, with the .ics attached (interviews.py).
        channels=("inbox", "push", "email"),
        extra={
            "email_path": "/espace/candidats/{link_id}/",
            "email_attachments": interview_email_attachments,
        },
    ),
    NotificationKind(
        code=INTERVIEW_ANSWERED,
        category=Category.JOBS,
        title=_("Interview answer: {offer}"),
        body=_("For the interview on {when}, the candidate {answer}.{message}"),
        link_type="job_match",
        # To the employer's members (interview_answers.py): they have no app.
        channels=("inbox", "push", "email"),
        extra={"email_path": "/espace/candidats/{link_id}/"},
    ),
    NotificationKind(
        code=HIRED,
        category=Category.JOBS,
        title=_("Congratulations: {offer}"),
        body=_("{employer} hires you, starting on {start}."),
        link_type="job_match",
    ),
    NotificationKind(
        code=MATCH_EXPIRED,
        category=Category.JOBS,
        title=_("No answer: {offer}"),
        body=_("{employer} did not answer in time. Your advisor can suggest other offers."),
        link_type="job_match",
    ),
    NotificationKind(
        code=PROPOSAL_EXPIRED,
        category=Category.JOBS,
        title=_("Proposal closed: {offer}"),
        body=_(
            "The candidate proposed for {offer} waited 21 days without an answer: the proposal "
            "is closed. Your partner landlord can propose other candidates."
        ),
        link_type="job_match",
        channels=("inbox", "push", "email"),  # to employer members: they have no app
        extra={"email_path": "/espace/candidats/{link_id}/"},
    ),
    NotificationKind(
        code=OFFER_EXPIRING,
        category=Category.JOBS,
        title=_("Your offer closes soon: {offer}"),
        body=_("Without any update it closes on {date}. Edit it to keep it open."),
        link_type="job_offer",
        channels=("inbox", "push", "email"),  # to employer members: they have no app
        extra={"email_path": "/espace/offres/"},
    ),
    NotificationKind(
        code=STAFF_WEEKLY,
        category=Category.JOBS,
        title=_("Matches waiting for you"),
        body=_("{count} interested tenants are waiting to be proposed to an employer."),
        link_type="job_matches",
    ),
)


def register_kinds() -> None:
    register(*KINDS)
