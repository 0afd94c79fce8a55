from django.shortcuts import render


def home(request):
    return render(request, "core/home.html")


def public_keys(request):
    """The instance's Ed25519 public keys as a JSON Web Key Set (``crypto.public_key_set``): who
    holds a certificate, a record bundle or a QR token checks its signature against the key its
    ``kid`` names, even after that key was retired. Public, cacheable, no personal data."""
    from django.http import JsonResponse

    from zhiyuan.core.crypto import public_key_set

    response = JsonResponse(public_key_set())
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
