"""Demo evaluations (ACT-6) for the activity square: once the activities seed has written past
activities with attendance, their participants rate them (so the square's cards show stars),
the organizers rate the participants and a few people served leave feedback. Writes through
the evaluation services; idempotent (a pair already rated is left as it is)."""

import random


def seed(*, first_users=(), **_kwargs) -> dict:
    """``first_users``: the demo logins who volunteer; they rate and are rated wherever they took part."""
    from zhiyuan.accounts.models import RoleAssignment
    from zhiyuan.accounts.roles import Role
    from zhiyuan.activities import evaluations
    from zhiyuan.activities.evaluation_models import ActivityRating, BeneficiaryFeedback, VolunteerRating
    from zhiyuan.activities.models import Activity

    rng = random.Random(10)
    comments = ["组织有序，收获很大。", "时间安排合理。", "希望下次还能参加。", ""]
    counts = {"activity_ratings": 0, "volunteer_ratings": 0, "feedback": 0}
    for activity in Activity.objects.filter(status__in=("published", "closed", "finished")).select_related("organization"):
        people = evaluations.participants(activity=activity)
        if not people:
            continue
        admin = (
            RoleAssignment.objects.filter(role=Role.ORG_ADMIN, object_id=activity.organization_id, active=True)
            .select_related("user")
            .first()
        )
        first = {u.volunteer.pk for u in first_users if hasattr(u, "volunteer")}
        people = [p for p in people if p.volunteer_id in first] + [p for p in people if p.volunteer_id not in first]
        for p in people[:6]:
            if not ActivityRating.objects.filter(activity=activity, volunteer_id=p.volunteer_id).exists():
                from zhiyuan.volunteers.models import Volunteer

                user = Volunteer.objects.select_related("user").get(pk=p.volunteer_id).user
                evaluations.activity_rating_save(actor=user, activity=activity, stars=rng.choice((4, 5, 5, 3)),
                                                 comment=rng.choice(comments))  # fmt: skip
                counts["activity_ratings"] += 1
            if admin and not VolunteerRating.objects.filter(activity=activity, volunteer_id=p.volunteer_id).exists():
                evaluations.volunteer_rating_save(actor=admin.user, activity=activity, volunteer_id=p.volunteer_id,
                                                  stars=rng.choice((4, 5)), comment="")  # fmt: skip
                counts["volunteer_ratings"] += 1
        if evaluations.feedback_open(activity) and not BeneficiaryFeedback.objects.filter(activity=activity).exists():
            BeneficiaryFeedback.objects.create(activity=activity, stars=5, comment="志愿者很耐心，谢谢你们。")
            counts["feedback"] += 1
    return counts
