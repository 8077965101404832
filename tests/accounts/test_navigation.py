import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# What each role sees in the menu, and nothing more. Later features add their entries here.
PROGRAMME = ["Staff survey", "Workshops", "Reflections", "Journal", "Knowledge"]
# Without an authority there is no reflection to write.
PLATFORM_PROGRAMME = ["Staff survey", "Workshops", "Journal", "Knowledge"]
NAVIGATION = {
    "alice": ["Home", "Cases", "Audits", "Learning", "Reports", *PROGRAMME, "Teams"],
    "bob": [
        "Home",
        "Cases",
        "Audits",
        "Learning",
        "Moderation",
        "Escalations",
        "Outcomes",
        "Reports",
        *PROGRAMME,
        "Teams",
    ],
    "quinn": [
        "Home",
        "Cases",
        "Audits",
        "Learning",
        "Moderation",
        "Escalations",
        "Outcomes",
        "Reports",
        "QA overview",
        *PROGRAMME,
        "Imports",
        "Exports",
        "Measure jobs",
        "Teams",
        "Authority",
        "Knowledge access",
        "Admin",
    ],
    "leah": [
        "Home",
        "Cases",
        "Audits",
        "Learning",
        "Outcomes",
        "Reports",
        *PROGRAMME,
        "Imports",
        "Exports",
        "Measure jobs",
        "Teams",
        "Authority",
    ],
    "charlie": ["Home", "Cases", "Audits", "Learning", "Reports", *PROGRAMME, "Teams"],
    "ana": ["Home", "Reports", "Compare", "All authorities", *PLATFORM_PROGRAMME],
    "pat": ["Home", "Compare", "All authorities", *PLATFORM_PROGRAMME, "Feedback inbox", "Admin"],
    "pam": ["Home", *PLATFORM_PROGRAMME, "Feedback inbox", "Admin"],
}


@pytest.mark.parametrize("name, expected", NAVIGATION.items())
def test_navigation_shows_each_role_what_it_may_use(personas, login, name, expected):
    response = login(getattr(personas, name)).get(reverse("home"))
    assert [item["label"] for item in response.context["nav_items"]] == expected


# Pages behind each menu entry, with who may open them.
PAGES = {
    "cases:list": {"alice", "bob", "quinn", "leah", "charlie"},
    "audits:home": {"alice", "bob", "quinn", "leah", "charlie"},
    "cases:imports": {"quinn", "leah"},
    "accounts:teams": {"alice", "bob", "quinn", "leah", "charlie"},
    "accounts:authority": {"quinn", "leah"},
    "accounts:authorities": {"ana", "pat"},
    "oversight:overview": {"quinn"},
    "exports:index": {"quinn", "leah"},
    "jobs:list": {"quinn", "leah"},
    "feedback:inbox": {"pat", "pam"},
    "journal:workshops": set(NAVIGATION),
    "journal:list": set(NAVIGATION),
    "knowledge:library": set(NAVIGATION),
    "knowledge:access": {"quinn", "pat"},  # platform admins choose the authority
    "surveys:home": set(NAVIGATION),
}


@pytest.mark.parametrize("url_name, allowed", PAGES.items())
def test_pages_agree_with_the_menu(personas, client, url_name, allowed):
    for name in NAVIGATION:
        client.force_login(getattr(personas, name), backend="django.contrib.auth.backends.ModelBackend")
        status = client.get(reverse(url_name)).status_code
        assert status == (200 if name in allowed else 403), (name, url_name, status)


def test_less_used_entries_go_under_manage_when_there_are_enough(personas, login):
    quinn = login(personas.quinn).get(reverse("home")).context["nav_items"]
    assert [i["label"] for i in quinn if i["group"] == "Manage"] == [
        "Imports",
        "Exports",
        "Measure jobs",
        "Teams",
        "Authority",
        "Knowledge access",
        "Admin",
    ]
    assert [i["label"] for i in quinn if i["group"] == "Programme"] == PROGRAMME
    alice = login(personas.alice).get(reverse("home")).context["nav_items"]
    assert all(i["group"] != "Manage" for i in alice)  # "Teams" alone stays in the bar
    pat = login(personas.pat).get(reverse("home")).context["nav_items"]
    assert [i["label"] for i in pat if not i["group"]][-2:] == ["Feedback inbox", "Admin"]


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("accounts:teams"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_active_authority_is_shown(personas, login):
    response = login(personas.alice).get(reverse("home"))
    assert b"Ashdown" in response.content
    assert b"Practitioner" in response.content
