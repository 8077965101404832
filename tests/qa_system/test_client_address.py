"""The client address the login lockout counts: REMOTE_ADDR, or the entry that the outermost of
TRUSTED_PROXY_COUNT proxies wrote to X-Forwarded-For."""

from django.test import RequestFactory, SimpleTestCase, override_settings

from qa_system.client_address import client_ip


def _request(forwarded: str | None = None, remote: str = "10.0.0.2"):
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


class ClientIpTests(SimpleTestCase):
    @override_settings(TRUSTED_PROXY_COUNT=0)
    def test_without_proxies_the_header_is_ignored(self):
        self.assertEqual(client_ip(_request("203.0.113.7")), "10.0.0.2")

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_one_proxy_takes_the_last_entry(self):
        self.assertEqual(client_ip(_request("192.0.2.1, 203.0.113.7")), "203.0.113.7")

    @override_settings(TRUSTED_PROXY_COUNT=2)
    def test_two_proxies_take_the_entry_the_outer_one_wrote(self):
        self.assertEqual(client_ip(_request("192.0.2.1, 203.0.113.7, 10.0.0.9")), "203.0.113.7")

    @override_settings(TRUSTED_PROXY_COUNT=2)
    def test_a_request_that_skipped_a_proxy_counts_as_its_remote_address(self):
        self.assertEqual(client_ip(_request("203.0.113.7")), "10.0.0.2")

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_no_header_or_no_address_counts_as_the_remote_address(self):
        self.assertEqual(client_ip(_request()), "10.0.0.2")
        self.assertEqual(client_ip(_request("unknown")), "10.0.0.2")

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_ipv6_is_read_too(self):
        self.assertEqual(client_ip(_request("2001:db8::1")), "2001:db8::1")
