"""Pages of the activity square (ACT-2) and of evaluation (ACT-6). Thin: the rules are in
``square.py`` (reads) and ``evaluations.py`` (writes)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhiyuan.accounts.forms import apply_domain_error
from zhiyuan.accounts.views import domain_http
from zhiyuan.activities import evaluations
from zhiyuan.activities.forms_square import FeedbackForm, RatingForm
from zhiyuan.activities.square import (
    DEFAULT_RADIUS_KM,
    RADIUS_CHOICES,
    SQUARE,
    enroll_url,
    signup_open,
    square_activity_detail,
)
from zhiyuan.core.audit import client_ip
from zhiyuan.core.errors import DomainError
from zhiyuan.core.lists import keyset_page, list_query, page_size_of
from zhiyuan.core.maps import map_config


@require_GET
def square(request):
    """The square: search and filters, phone-first cards, the same page as a map; keyset pages
    (``square.SQUARE``), no count. Invalid filters are shown beside the form and filter nothing."""
    data = request.GET.copy()
    cursor = data.pop("cursor", [None])[-1]
    data.pop("view", None)
    size = page_size_of(data.get("page_size"), SQUARE, strict=False)
    lq = list_query(actor=request.user, spec=SQUARE, data=data or None, strict=False)
    try:
        rows, next_cursor = keyset_page(lq.queryset, cursor=cursor, size=size)
    except DomainError:  # a stale or edited cursor: start again
        (rows, next_cursor), cursor = keyset_page(lq.queryset, cursor=None, size=size), None
    if rows:
        rows = SQUARE.decorate(rows)
    query = request.GET.copy()
    query.pop("cursor", None)
    base = query.copy()
    base.pop("view", None)
    form = lq.filterset.form
    located = not lq.errors and form.is_bound and form.cleaned_data.get("lat") is not None
    context = {
        "form": form,
        "rows": rows,
        "next_cursor": next_cursor,
        "first_page": not cursor,
        "query": query.urlencode(),  # pagination keeps the view
        "base_query": base.urlencode(),  # the list / map switch
        "located": located,
        "radius_choices": RADIUS_CHOICES,
        "radius": (form.cleaned_data.get("radius") if located else None) or DEFAULT_RADIUS_KM,
        "map": map_config(),
        "map_view": request.GET.get("view") == "map",
    }
    template = "activities/square/square.html"
    if getattr(request, "htmx", False) and not getattr(request.htmx, "boosted", False):
        template = "activities/square/_cards.html"
    return render(request, template, context)


@require_GET
@domain_http
def square_detail(request, activity_id: int):
    """The public recruitment notice: time, place, content, conditions, positions with their
    numbers and open slots, how to sign up, risks, safeguards, contact, the shifts; the
    sign-up button; the average rating; for a participant, their own rating."""
    detail = square_activity_detail(actor=request.user, id=activity_id)
    a = detail["activity"]
    my_rating = None
    can_rate = False
    my_places = 0
    if request.user.is_authenticated:
        from zhiyuan.activities.models import ACTIVE_ENROLLMENT, Enrollment
        from zhiyuan.volunteers.selectors import volunteer_or_none

        volunteer = volunteer_or_none(request.user)
        if volunteer is not None:
            # already signed up: say so beside 我要报名, with the way to 我的报名
            my_places = Enrollment.objects.filter(volunteer=volunteer, activity=a, status__in=ACTIVE_ENROLLMENT).count()
            can_rate = evaluations.took_part(activity=a, volunteer=volunteer)
            my_rating = evaluations.my_activity_rating(actor=request.user, activity=a) if can_rate else None
    return render(
        request,
        "activities/square/detail.html",
        {
            **detail,
            "enroll_url": enroll_url(a),
            "signup_open": signup_open(a),
            "feedback_open": evaluations.feedback_open(a),
            "can_rate": can_rate,
            "my_rating": my_rating,
            "my_places": my_places,
            "is_organizer": evaluations.is_organizer(request.user, a),
            "map": map_config(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def activity_rate(request, activity_id: int):
    """The volunteer rates the activity they served on (1–5 stars and a comment), editable for
    7 days."""
    a = evaluations.activity_get_for_rating(actor=request.user, id=activity_id)
    current = evaluations.my_activity_rating(actor=request.user, activity=a)
    initial = {"stars": current.stars, "comment": current.comment} if current else None
    form = RatingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            evaluations.activity_rating_save(
                actor=request.user, activity=a, stars=form.cleaned_data["stars"], comment=form.cleaned_data["comment"]
            )
        except DomainError as e:
            if e.status in (403, 404):
                raise
            apply_domain_error(form, e)
        else:
            messages.success(request, _("感谢您的评价。"))
            return redirect("activities:square_detail", activity_id=a.pk)
    return render(request, "activities/square/rate.html", {"activity": a, "form": form, "current": current})


@login_required
@require_http_methods(["GET", "POST"])
@domain_http
def activity_evaluations(request, activity_id: int):
    """The organizer's evaluation page: each volunteer who served, with a rating form, and the
    beneficiaries' feedback."""
    a = evaluations.activity_get_for_organizer(actor=request.user, id=activity_id)
    errors: dict = {}
    if request.method == "POST":
        form = RatingForm(request.POST)
        volunteer_id = request.POST.get("volunteer", "")
        if form.is_valid() and volunteer_id.isdigit():
            try:
                evaluations.volunteer_rating_save(
                    actor=request.user, activity=a, volunteer_id=int(volunteer_id),
                    stars=form.cleaned_data["stars"], comment=form.cleaned_data["comment"],
                )  # fmt: skip
            except DomainError as e:
                if e.status == 403:
                    raise
                errors[volunteer_id] = [str(e.message), *(str(m) for v in e.fields.values() for m in v)]
            else:
                messages.success(request, _("评价已保存。"))
                return redirect("activities:evaluations", activity_id=a.pk)
        else:
            errors[volunteer_id] = [str(m) for v in form.errors.values() for m in v] or [_("请选择要评价的志愿者。")]
    people = evaluations.participants(activity=a)
    for p in people:
        p.errors = errors.get(str(p.volunteer_id), [])
    return render(
        request,
        "activities/square/evaluations.html",
        {
            "activity": a,
            "participants": people,
            "feedback": evaluations.feedback_recent(activity=a),
            "star_choices": range(5, 0, -1),
            "edit_days": evaluations.RATING_EDIT_DAYS,
        },
        status=422 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@domain_http
def beneficiary_feedback(request, activity_id: int):
    """The public feedback form of an activity for the people it served: no account, no
    captcha — a honeypot field and a per-address limit instead."""
    a = evaluations.feedback_activity_get(id=activity_id)
    form = FeedbackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                evaluations.beneficiary_feedback_create(
                    activity=a, stars=form.cleaned_data["stars"], comment=form.cleaned_data["comment"],
                    contact=form.cleaned_data["contact"], honeypot=form.cleaned_data["website"], ip=client_ip(request),
                )  # fmt: skip
            except DomainError as e:
                apply_domain_error(form, e)
                status = e.status if e.status in (409, 429) else 422
            else:
                return render(request, "activities/square/feedback_thanks.html", {"activity": a})
        else:
            status = 422
    return render(
        request,
        "activities/square/feedback.html",
        {"activity": a, "form": form, "open": evaluations.feedback_open(a)},
        status=status,
    )
