"""factory_boy factories for the platform's models. ``.build()`` makes unsaved rows for tests
that need no database."""

from datetime import date, timedelta

import factory

from accounts.models import Authority, Membership, Role, ServiceArea, Team, User

PASSWORD = "correct-horse-battery"


class AuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authority
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{800 + n % 199:03d}")
    name = factory.Sequence(lambda n: f"Authority {n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    authority = factory.SubFactory(AuthorityFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    service_area = ServiceArea.CHILD_PROTECTION


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyAttribute(lambda o: o.username.capitalize())
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    authority = factory.SubFactory(AuthorityFactory)
    role = Role.PRACTITIONER
    team = None


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cases.Child"

    authority = factory.SubFactory(AuthorityFactory)
    la_child_id = factory.Sequence(lambda n: f"C{n:06d}")
    sex = "1"
    ethnicity = "WBRI"


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cases.Referral"

    child = factory.SubFactory(ChildFactory)
    referral_date = factory.Sequence(lambda n: date(2024, 4, 1) + timedelta(days=n))


class CPPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cases.CPPlan"

    child = factory.SubFactory(ChildFactory)
    start_date = factory.Sequence(lambda n: date(2024, 5, 1) + timedelta(days=n))
    initial_category = "NEG"


class CareEpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cases.CareEpisode"

    child = factory.SubFactory(ChildFactory)
    start_date = factory.Sequence(lambda n: date(2024, 6, 1) + timedelta(days=n))
    reason_new_episode = "S"
    placement = "U1"


class ImportRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cases.ImportRun"

    authority = factory.SubFactory(AuthorityFactory)
    filename = "cin_census_2025.xml"
    file_format = "cin_census"
    status = "done"
    progress = 100
    stored = 3
