"""Admin of webhooks, their delivery log and chat channels: admins only (they hold secrets and
decide where data leaves the installation)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from integrations import event_types
from integrations.chat import channel_create
from integrations.crypto import encrypt
from integrations.models import ChatChannel, ChatEvent, Webhook, WebhookAttempt, WebhookDelivery
from integrations.services import WebhookInvalid, check_target, clean_events, send_test_event, webhook_create


class EventsField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=event_types.SUBSCRIBABLE, **kwargs)


class WebhookForm(forms.ModelForm):
    events = EventsField()

    class Meta:
        model = Webhook
        fields = ("name", "project", "url", "events", "active")

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_target(url)
        except WebhookInvalid as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("number", "started_at", "response_code", "duration_ms", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ("name", "project", "url", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "url", "project__name", "=project__slug")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)
    actions = ["send_test"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.events = clean_events(form.cleaned_data["events"])
            super().save_model(request, obj, form, change)
            return
        webhook, secret = webhook_create(
            name=obj.name,
            url=obj.url,
            events=form.cleaned_data["events"],
            project=obj.project,
            user=request.user,
        )
        webhook.active = obj.active
        webhook.save(update_fields=["active"])
        obj.pk, obj._raw_secret = webhook.pk, secret

    def response_add(self, request, obj, post_url_continue=None):
        # The secret is shown once, in this response only: it is stored encrypted, never shown again.
        return TemplateResponse(
            request,
            "admin/integrations/webhook/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "webhook": obj,
                "secret": obj._raw_secret,
                "title": "Webhook created",
            },
        )

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test(self, request, queryset):
        count = 0
        for webhook in queryset:
            send_test_event(webhook=webhook)
            count += 1
        messages.success(request, f"Queued a test event to {count} webhook(s); see Webhook deliveries.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "webhook", "project", "state", "attempts", "last_response_code", "created_at")
    list_filter = ("state", "event", "webhook")
    search_fields = ("=message_id", "webhook__name", "project__name")
    list_select_related = ("webhook", "project")
    show_full_result_count = False
    date_hierarchy = "created_at"
    inlines = [AttemptInline]
    readonly_fields = (
        "webhook",
        "project",
        "event",
        "message_id",
        "payload",
        "state",
        "attempts",
        "last_response_code",
        "next_attempt_at",
        "created_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ChatChannelForm(forms.ModelForm):
    url = forms.URLField(
        label="Incoming webhook URL",
        required=False,
        max_length=500,
        help_text="Stored encrypted and never shown again; leave empty to keep the current one.",
        widget=forms.PasswordInput(render_value=False),
    )
    events = EventsField()

    class Meta:
        model = ChatChannel
        fields = ("name", "kind", "project", "url", "events", "active")

    def clean(self):
        data = super().clean()
        url = data.get("url")
        if not url and not self.instance.pk:
            self.add_error("url", "Give the channel's incoming webhook URL.")
        elif url:
            try:
                check_target(url)
            except WebhookInvalid as exc:
                self.add_error("url", str(exc))
        return data


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    form = ChatChannelForm
    list_display = ("name", "kind", "project", "url_hint", "active", "created_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "project__name", "=project__slug")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            channel = channel_create(
                name=obj.name, kind=obj.kind, url=data["url"], events=data["events"], project=obj.project
            )
            channel.active = obj.active
            channel.save(update_fields=["active"])
            obj.pk = channel.pk
            return
        obj.events = clean_events(data["events"])
        if data.get("url"):
            obj.url_encrypted = encrypt(data["url"])
        super().save_model(request, obj, form, change)


@admin.register(ChatEvent)
class ChatEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "project", "event", "text", "sent_at", "error")
    list_filter = ("event", ("sent_at", admin.EmptyFieldListFilter), "channel")
    search_fields = ("text", "project__name")
    list_select_related = ("channel", "project")
    show_full_result_count = False
    readonly_fields = (
        "channel",
        "project",
        "event",
        "text",
        "url",
        "created_at",
        "batch",
        "sent_at",
        "error",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
