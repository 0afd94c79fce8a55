from django.contrib.auth.backends import ModelBackend


class MobileBackend(ModelBackend):
    """Authenticate by mobile number + password. Lockout is enforced in
    ``accounts.services.login_attempt`` before this backend is reached."""

    def user_can_authenticate(self, user):
        return getattr(user, "is_active", False)
