"""``PrometheusSource``: the Source protocol over the Prometheus HTTP API.

Works with anything that speaks ``/api/v1/query_range``
(Prometheus, Thanos, Mimir with ``X-Scope-OrgID``, VictoriaMetrics), with the
parameters in a POST form body, so no query is too long for a URL.

Failure handling, so that a collector can act on what it gets:

- transient failures (connection refused or reset, timeout, HTTP 5xx, 429, a body that
  is not the expected JSON) raise ``SourceUnavailable`` and are retried with
  exponential backoff and full jitter; retrying stops before ``retry_max_s`` would be
  exceeded, so one call takes at most ``retry_max_s`` plus one request's ``timeout_s``
  (which requests applies to connecting and to each read, not to the whole answer);
- the server refusing the query (HTTP 400 ``bad_data``, 422 ``execution``) raises
  ``QueryRejected`` with Prometheus's own message, never retried;
- anything else that retrying cannot fix (401/403/404, TLS verification) raises
  ``SourceError``, not retried; an unusable URL raises ``ConfigError``.

Messages name the URL and the cause and never carry credentials.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_before_delay, wait_random_exponential
from urllib3.util.retry import Retry

from sloboard.errors import ConfigError, QueryRejected, SourceError, SourceUnavailable
from sloboard.settings import PrometheusSettings

from .source import SourceSeries

# Backoff between attempts: uniform in [0, min(MAX, FIRST * 2**n)] seconds ("full jitter").
_BACKOFF_FIRST_S = 0.25
_BACKOFF_MAX_S = 10.0
# Statuses that say "try again later" rather than "this will never work".
_TRANSIENT_STATUS = frozenset({408, 429})


class _HTTPStatusError(Exception):
    """A non-success HTTP answer, raised from the response hook with the response attached."""

    def __init__(self, response: requests.Response):
        super().__init__(response.status_code)
        self.response = response


def _raise_on_error_status(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    # The client library reports a failed status only as text; raising here, from a
    # requests response hook on our own session, keeps the status and the JSON body.
    if response.status_code >= 400:
        raise _HTTPStatusError(response)


def redact_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, safe for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _os_cause(exc: BaseException) -> str | None:
    """The innermost operating-system reason (``Connection refused``) behind a requests error."""
    seen: set[int] = set()
    found = None
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            found = current.strerror
        current = current.__cause__ or current.__context__
    return found


def _prometheus_error(response: requests.Response) -> str | None:
    """The ``error`` text of a Prometheus JSON error envelope, if the body is one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"]
    return None


def _short_body(response: requests.Response, limit: int = 200) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("..." if len(text) > limit else "")


class PrometheusSource:
    """Query a Prometheus-compatible server. Construction does no I/O."""

    def __init__(self, settings: PrometheusSettings):
        if settings.bearer_token is not None and settings.basic_auth_user is not None:
            raise ConfigError(
                "prometheus: set either bearer_token or basic_auth_user/basic_auth_password, not both"
            )
        self.settings = settings
        self.url = settings.url.rstrip("/")
        self._where = redact_url(self.url)
        headers = dict(settings.headers)
        if settings.bearer_token is not None:
            headers["Authorization"] = f"Bearer {settings.bearer_token.get_secret_value()}"
        auth = None
        if settings.basic_auth_user is not None:
            password = settings.basic_auth_password.get_secret_value() if settings.basic_auth_password else ""
            auth = (settings.basic_auth_user, password)
        session = requests.Session()
        # requests takes either a bool or the path of a CA bundle here.
        use_ca_file = settings.verify_tls and settings.ca_file is not None
        session.verify = str(settings.ca_file) if use_ca_file else settings.verify_tls
        session.headers.update(headers)
        session.auth = auth
        session.hooks["response"].append(_raise_on_error_status)
        # No retries below us: tenacity decides, with one overall time budget.
        session.mount("http://", HTTPAdapter(max_retries=Retry(total=0, read=False, redirect=False)))
        session.mount("https://", HTTPAdapter(max_retries=Retry(total=0, read=False, redirect=False)))
        self._session = session

    def close(self) -> None:
        self._session.close()

    def query_range(self, promql: str, start: int, end: int, step: int) -> list[SourceSeries]:
        """Evaluate ``promql`` at every ``step`` seconds from ``start`` through ``end``."""
        form = {"query": promql, "start": str(int(start)), "end": str(int(end)), "step": str(int(step))}
        return self._retrying(lambda: self._matrix(self._post("query_range", form)))

    def _post(self, endpoint: str, form: dict[str, str]) -> Any:
        """The ``data.result`` of one API call, its parameters sent as a form body.

        A form body, which the Prometheus HTTP API accepts for its query endpoints,
        keeps the URL short however long the PromQL grows (a grouped query names every
        service; the exact step counts repeat each selector): proxies in front of
        Thanos or Mimir refuse URLs of a few KB. The client library sends the query in
        the URL even when it POSTs, so the request is made here.
        """
        response = self._session.post(f"{self.url}/api/v1/{endpoint}", data=form, timeout=self.settings.timeout_s)
        return response.json()["data"]["result"]

    def _retrying(self, call):
        """Run ``call`` through ``_once`` until it succeeds, fails for good, or time is up."""
        started = time.monotonic()
        retrying = Retrying(
            retry=retry_if_exception_type(SourceUnavailable),
            stop=stop_before_delay(self.settings.retry_max_s),
            wait=wait_random_exponential(multiplier=_BACKOFF_FIRST_S, max=_BACKOFF_MAX_S),
        )
        try:
            return retrying(self._once, call)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            attempts = exc.last_attempt.attempt_number
            elapsed = time.monotonic() - started
            tries = f"{attempts} attempt{'s' * (attempts != 1)}"
            raise SourceUnavailable(f"{last} (gave up after {tries} in {elapsed:.1f} s)") from last

    def _once(self, call):
        """One request, with every lower-level failure mapped into sloboard.errors."""
        where = self._where
        try:
            return call()
        except _HTTPStatusError as exc:
            raise self._status_error(exc.response) from exc
        except (
            requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema
        ) as exc:
            raise ConfigError(f"prometheus.url {where!r} is not a usable http(s) URL") from exc
        except requests.exceptions.SSLError as exc:
            raise SourceError(
                f"{where}: TLS handshake failed ({_os_cause(exc) or type(exc).__name__}); "
                "check prometheus.ca_file or prometheus.verify_tls"
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise SourceUnavailable(f"{where}: no answer within {self.settings.timeout_s:g} s") from exc
        except requests.exceptions.ConnectionError as exc:
            cause = _os_cause(exc) or "no reason given"
            raise SourceUnavailable(f"{where}: connection failed: {cause}") from exc
        except requests.exceptions.JSONDecodeError as exc:
            raise SourceUnavailable(f"{where}: answer is not JSON: {exc}") from exc
        except requests.exceptions.RequestException as exc:
            raise SourceUnavailable(f"{where}: request failed: {type(exc).__name__}") from exc
        except (KeyError, TypeError) as exc:
            raise SourceUnavailable(f"{where}: answer lacks data.result; is this a Prometheus API?") from exc

    def _status_error(self, response: requests.Response) -> SourceError:
        status = response.status_code
        message = _prometheus_error(response)
        detail = message or _short_body(response) or response.reason
        text = f"{self._where}: HTTP {status}: {detail}"
        if status >= 500 or status in _TRANSIENT_STATUS:
            return SourceUnavailable(text)
        if status in (400, 422) and message is not None:
            return QueryRejected(f"{self._where} rejected the query: {message}")
        if status in (401, 403):
            return SourceError(f"{text}; check prometheus.bearer_token, basic auth or headers")
        return SourceError(text)

    def _matrix(self, result: Any) -> list[SourceSeries]:
        try:
            return [SourceSeries(item["metric"], *_columns(item["values"])) for item in result]
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceUnavailable(f"{self._where}: malformed range result: {exc}") from exc


def _columns(values: list) -> tuple[np.ndarray, np.ndarray]:
    """``[[t, "v"], ...]`` as (int64 seconds, float64); ``"NaN"``/``"+Inf"`` parse as floats."""
    if not values:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    pairs = np.asarray(values, dtype=np.str_)
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise ValueError(f"expected [time, value] pairs, got shape {pairs.shape}")
    ts = np.rint(pairs[:, 0].astype(np.float64)).astype(np.int64)
    return ts, pairs[:, 1].astype(np.float64)

