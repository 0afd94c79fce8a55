"""The registry of sealed columns (``core.sealed``): key rotation must reach every one of them."""

from django.apps import apps

from zhiyuan.core.sealed import sealed_columns


def test_every_sealed_field_of_every_model_is_registered_for_rotation():
    """A model field named ``*_sealed`` holds ``crypto.seal`` tokens; one missing from the registry
    would stay under the old key and break once that key is retired (audit bug: TOTP secrets)."""
    fields = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.name.endswith("_sealed")
    }
    registered = {c.label for c in sealed_columns()}
    assert fields, "no sealed fields found: the naming convention changed?"
    unregistered = sorted(fields - registered)
    assert not unregistered, (
        f"sealed fields not registered for key rotation: {unregistered} — call "
        "core.sealed.register_sealed_column(model_label, field, purpose=...) in the app's AppConfig.ready()"
    )
    assert registered <= fields, sorted(registered - fields)


def test_every_blind_index_field_is_registered_for_reindexing():
    """A model field named ``*_index`` holds ``crypto.blind_index`` values; one missing from the
    registry would keep the old blind-index key's values after ``reindex_blind`` (issue #11 item 9)."""
    from zhiyuan.core.sealed import blind_index_columns

    fields = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.name.endswith("_index")
    }
    assert fields, "no blind-index fields found: the naming convention changed?"
    assert fields == {c.label for c in blind_index_columns()}
