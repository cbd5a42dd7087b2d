"""A XenAPI session on Python's standard xmlrpc.client, behaving as XAPI's
XenAPI.py does on the wire: login_with_password keeps the session ref, every
other call sends it first, answers are unwrapped from {Status, Value}, and a
{Status: Failure} is raised as Failure(ErrorDescription)."""
import xmlrpc.client


class Failure(Exception):
    def __init__(self, details):
        super().__init__(details)
        self.details = details


def _unwrap(answer):
    if not isinstance(answer, dict) or 'Status' not in answer:
        raise Failure(['INTERNAL_ERROR', 'no Status in the answer: %r' % (answer,)])
    if answer['Status'] == 'Success' and 'Value' in answer:
        return answer['Value']
    if answer['Status'] == 'Failure' and 'ErrorDescription' in answer:
        raise Failure(answer['ErrorDescription'])
    raise Failure(['INTERNAL_ERROR', 'malformed answer: %r' % (answer,)])


class _Message:
    """`x.VM.get_all` or `x.VM_get_all`: the name is sent as written."""

    def __init__(self, call, name):
        self._call = call
        self._name = name

    def __getattr__(self, name):
        return _Message(self._call, name if self._name is None else '%s.%s' % (self._name, name))

    def __call__(self, *params):
        return self._call(self._name, params)


class Session:
    def __init__(self, url):
        self._proxy = xmlrpc.client.ServerProxy(url, allow_none=True)
        self._session = None
        self.xenapi = _Message(self._request, None)

    def _request(self, name, params):
        if name.endswith('login_with_password'):
            # As XenAPI.py: the caller writes login_with_password, the wire says session.<it> (here in the underscore spelling).
            self._session = _unwrap(getattr(self._proxy, 'session_login_with_password')(*params))
            return self._session
        if self._session is None:
            raise Failure(['SESSION_INVALID', 'not logged in'])
        return _unwrap(getattr(self._proxy, name)(self._session, *params))
