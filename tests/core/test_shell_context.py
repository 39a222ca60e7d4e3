from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_the_product_name_survives_views_that_set_their_own_site_name(client):
    # Django's auth views put the request's host into `site_name`.
    html = client.get("/accounts/login/").content.decode()
    assert '<a class="brand" href="/">Students Tracker</a>' in html
