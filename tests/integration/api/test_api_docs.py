"""The api documents itself: /openapi.json is a valid OpenAPI 3 document of
every endpoint with the HTTPBearer and OAuth2 password security schemes, and
/docs is Swagger UI whose every asset is served by the api itself. Every HTML
page (/docs, the tokens page) has one policy that forbids framing; only the
Swagger UI files the page loads are served, and a pasted token is not kept
in the browser's storage. (That Swagger UI works under the policy is checked
in Chromium: tests/e2e/browser/docs_page.test.mjs.)"""
import html.parser
import urllib.parse

import requests
from openapi_spec_validator import validate

import stack

ENDPOINTS = {
    ("post", "/v1/auth/token"), ("post", "/v1/auth/logout"), ("get", "/v1/users/me"),
    ("get", "/v1/auth/login"), ("get", "/v1/auth/callback"), ("get", "/v1/auth/logout"),
    ("get", "/v1/personal-tokens"), ("post", "/v1/personal-tokens"),
    ("patch", "/v1/personal-tokens/{personal_token_id}"),
    ("delete", "/v1/personal-tokens/{personal_token_id}"),
    ("get", "/v1/personal-tokens/{personal_token_id}/events"), ("get", "/v1/admin/personal-tokens"),
    ("post", "/v1/admin/users/{user_name}/revoke-tokens"), ("post", "/v1/personal-tokens/revoke"),
    ("get", "/monitoring/ping"), ("get", "/monitoring/ready"), ("get", "/metrics"),
    ("get", "/v1/locations"), ("get", "/v1/datasets"), ("get", "/v1/jobs"), ("get", "/v1/runs"),
}


class AssetLinks(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def openapi(api):
    response = requests.get(f"{api.url}/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def test_openapi_document_is_valid_openapi_3(api):
    document = openapi(api)
    assert document["openapi"].startswith("3.")
    validate(document)


def test_openapi_documents_every_endpoint(api):
    paths = openapi(api)["paths"]
    documented = {(method, path) for path, item in paths.items() for method in item}
    assert ENDPOINTS <= documented


def test_every_documented_operation_is_routed(api, access_token):
    for path, item in openapi(api)["paths"].items():
        concrete = path.replace("{personal_token_id}", "00000000-0000-7000-8000-000000000000")
        for method in item:
            response = requests.request(method, api.url + concrete, headers=stack.bearer(access_token))
            unrouted = response.status_code == 405 or (
                response.status_code == 404 and response.json()["error"]["details"] == concrete)
            assert not unrouted, (method, path, response.status_code)


def test_openapi_has_http_bearer_and_oauth2_password_schemes(api):
    schemes = openapi(api)["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {"type": "http", "scheme": "bearer",
                                     "description": schemes["HTTPBearer"]["description"]}
    assert schemes["OAuth2PasswordBearer"]["type"] == "oauth2"
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/v1/auth/token"


def test_bearer_protected_endpoints_offer_http_bearer(api):
    paths = openapi(api)["paths"]
    for method, path in [("get", "/v1/users/me"), ("get", "/v1/personal-tokens")]:
        assert {"HTTPBearer": []} in paths[path][method]["security"]


def docs_initializer(api):
    """The script that starts Swagger UI (the page has no inline script)."""
    parser = AssetLinks()
    parser.feed(requests.get(f"{api.url}/docs").text)
    scripts = [url for url in parser.urls if url.endswith("swagger-initializer.js")]
    assert len(scripts) == 1, parser.urls
    return requests.get(api.url + scripts[0])


def test_docs_page_is_swagger_ui_pointing_at_our_document(api):
    response = requests.get(f"{api.url}/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    initializer = docs_initializer(api)
    assert initializer.status_code == 200
    assert initializer.headers["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in initializer.text
    assert 'url: "/openapi.json"' in initializer.text


PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
               "form-action 'self'; frame-ancestors 'none'")


def test_every_html_page_forbids_framing_with_one_policy(api):
    for path in ("/docs", "/", "/index.html"):
        response = requests.get(api.url + path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "text/html; charset=utf-8", path
        assert response.headers.get("Content-Security-Policy") == PAGE_POLICY, path
        assert response.headers.get("X-Frame-Options") == "DENY", path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path


def test_docs_page_has_no_inline_script(api):
    page = requests.get(f"{api.url}/docs").text
    assert "<script>" not in page.replace(" ", "")
    assert "<script" in page


def test_swagger_ui_does_not_keep_a_pasted_token(api):
    assert "persistAuthorization: false" in docs_initializer(api).text


def test_only_the_swagger_ui_files_the_page_uses_are_served(api):
    for name in ["index.html", "oauth2-redirect.html", "oauth2-redirect.js", "swagger-initializer.js",
                 "swagger-ui-bundle.js.map", "swagger-ui.css.map", "swagger-ui-standalone-preset.js",
                 "package.json", "README.md"]:
        response = requests.get(f"{api.url}/static/swagger-ui/{name}")
        assert response.status_code == 404, name
        assert response.json()["error"]["code"] == "not_found"


def test_every_docs_asset_is_served_by_the_api(api):
    page = requests.get(f"{api.url}/docs").text
    parser = AssetLinks()
    parser.feed(page)
    assert len(parser.urls) >= 3
    for url in parser.urls:
        parsed = urllib.parse.urlparse(url)
        assert not parsed.netloc, f"{url} is not served by the api"
        response = requests.get(api.url + url)
        assert response.status_code == 200, url
        assert len(response.content) > 0, url
    bundle = requests.get(f"{api.url}/static/swagger-ui/swagger-ui-bundle.js")
    assert bundle.headers["Content-Type"].startswith("application/javascript")
    assert len(bundle.content) > 500_000


def test_static_files_outside_the_asset_folder_are_404(api):
    for name in [".hidden", "..%2F..%2Fetc%2Fpasswd", "nope.js"]:
        response = requests.get(f"{api.url}/static/swagger-ui/{name}")
        assert response.status_code == 404, name
        assert response.json()["error"]["code"] == "not_found"
