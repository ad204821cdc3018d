"""The notification kinds jobs sends (registered from JobsConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from notifications.registry import Category, NotificationKind, register

NEW_MATCHES = "jobs.new_matches"
MATCH_PROPOSED = "jobs.match_proposed"
PROPOSAL_REMINDER = "jobs.proposal_reminder"
EMPLOYER_ANSWERED = "jobs.employer_answered"
INTERVIEW = "jobs.interview"
HIRED = "jobs.hired"
MATCH_EXPIRED = "jobs.match_expired"
PROPOSAL_EXPIRED = "jobs.proposal_expired"
OFFER_EXPIRING = "jobs.offer_expiring"
STAFF_WEEKLY = "jobs.staff_weekly"

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
        title=_("A candidate for {offer}"),
        body=_("Your partner landlord proposes a candidate for {offer}. Please answer."),
        link_type="job_match",
        # Employers have no app: e-mail (with a sign-in link) is how they hear of it.
        channels=("inbox", "push", "email"),
        extra={"email_path": "/espace/candidats/{link_id}/"},
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
