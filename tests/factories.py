from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from connectors.models import (
    AccountMetric,
    Membership,
    Platform,
    Post,
    PostFormat,
    PostMetric,
    Role,
    SocialAccount,
    User,
    Workspace,
)

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")
    timezone = "Europe/Paris"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Role.VIEWER


class SocialAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialAccount

    workspace = factory.SubFactory(WorkspaceFactory)
    platform = Platform.INSTAGRAM
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    handle = factory.Sequence(lambda n: f"@account{n}")
    display_name = factory.Sequence(lambda n: f"Account {n}")
    timezone = "Europe/Paris"


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    account = factory.SubFactory(SocialAccountFactory)
    external_id = factory.Sequence(lambda n: f"post-{n}")
    published_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    format = PostFormat.PHOTO
    text = "Hello #launch"


class AccountMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountMetric

    account = factory.SubFactory(SocialAccountFactory)
    day = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    metric = "impressions"
    value = 100.0


class PostMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostMetric

    post = factory.SubFactory(PostFactory)
    day = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    metric = "likes"
    value = 10.0
