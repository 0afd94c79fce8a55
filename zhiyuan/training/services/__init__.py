"""Writes of the training app, split by sub-domain (STYLE.md): ``courses`` (courses, trainers,
bases, sessions, enrollment, attendance, evaluation), ``records`` (records, certificates, renewal
reminders), ``qualifications`` (evidence upload and review), ``quiz`` (online courses) and
``eligibility`` (the read the layers above ask: 先培训再上岗)."""
