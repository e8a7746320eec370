"""Piccolo tables of the identity module (prefix idn_): how a person proves who they are and logs in.
Everything is keyed by app_user.id; the records module's person is referenced by id only (its own table
holds the link, rec_person.user). Constraints Piccolo cannot express live in the plain-SQL migration."""
from piccolo.columns import JSONB, Array, BigInt, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import AppUser, OrgNode, Stamped


class IdnProvider(Stamped, Table, tablename="idn_provider"):
    """A school identity provider or WeChat official account we accept logins from (SUP-05, SUP-08)."""
    code = Varchar(length=40, unique=True)  # in URLs: /auth/sso/<code>/start
    kind = Varchar(length=16)  # cas / oidc / wechat
    name = Varchar(length=100)
    base_url = Varchar(length=500, default="")  # CAS server prefix / OIDC issuer / WeChat open base; '' = built-in IdP
    api_url = Varchar(length=500, default="")  # WeChat api base (api.weixin.qq.com); '' = base_url
    client_id = Varchar(length=200, default="")  # OIDC client id / WeChat appid
    client_secret = Varchar(length=500, default="")  # never shown back in full
    scopes = Varchar(length=200, default="")  # OIDC scopes / WeChat snsapi_base|snsapi_userinfo
    cas_version = Varchar(length=4, default="3")  # 2 → /serviceValidate, 3 → /p3/serviceValidate
    mapping = Varchar(length=16, default="number")  # number / email / manual: how a new subject finds its user
    number_attribute = Varchar(length=64, default="")  # attribute / claim carrying the student or staff number
    auto_create = Boolean(default=False)  # an unmatched subject gets a new account instead of the binding page
    enabled = Boolean(default=True)
    sort = Integer(default=0)


class IdnBinding(Stamped, Table, tablename="idn_binding"):
    """One external subject (CAS user, OIDC sub, WeChat openid) bound to one local user."""
    provider = ForeignKey(IdnProvider, on_delete=OnDelete.cascade)
    subject = Varchar(length=200)
    unionid = Varchar(length=200, default="")
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    display_name = Varchar(length=100, default="")
    attributes = JSONB(default="{}")
    how = Varchar(length=16, default="")  # number / email / manual / created / admin
    last_used_at = Timestamptz(null=True, default=None)


class IdnAuthState(Table, tablename="idn_auth_state"):
    """One outgoing login redirect: the state, nonce and PKCE verifier we must see again, used once."""
    state = Varchar(length=100, unique=True)
    provider = ForeignKey(IdnProvider, on_delete=OnDelete.cascade)
    nonce = Varchar(length=100, default="")
    code_verifier = Varchar(length=200, default="")
    next_url = Varchar(length=500, default="")
    purpose = Varchar(length=16, default="login")  # login / bind
    user_id = BigInt(null=True, default=None)  # the logged-in user a "bind" redirect is for
    scope = Varchar(length=32, default="")  # WeChat: snsapi_base / snsapi_userinfo asked for
    created_at = Timestamptz(default=TimestamptzNow())
    consumed_at = Timestamptz(null=True, default=None)


class IdnSmsCode(Table, tablename="idn_sms_code"):
    """A one-time SMS code; only its hash is kept."""
    phone = Varchar(length=32)
    purpose = Varchar(length=16)  # login / bind
    code_hash = Varchar(length=128)
    ip = Varchar(length=64, default="")
    user_id = BigInt(null=True, default=None)  # for "bind": who asked
    attempts = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    consumed_at = Timestamptz(null=True, default=None)


class IdnRealname(Table, tablename="idn_realname"):
    """One real-name check (IDV-01): what was asked, what the provider said; the face photo only until
    `image_delete_after` (the purge job empties image_key)."""
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=64)
    id_number = Varchar(length=32)
    result = Varchar(length=16)  # passed / failed / error / limited
    reason = Varchar(length=200, default="")
    score = Integer(null=True, default=None)
    provider = Varchar(length=40, default="")
    provider_ref = Varchar(length=100, default="")
    image_key = Varchar(length=300, default="")
    image_delete_after = Timestamptz(null=True, default=None)
    image_deleted_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class IdnClaim(Stamped, Table, tablename="idn_claim"):
    """"I studied / work here" (IDV-02): what the user claims, how far verification got, how it ended."""
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16)  # alumnus / student / staff / other
    name = Varchar(length=64)
    id_number = Varchar(length=32, default="")
    college = ForeignKey(OrgNode, null=True, on_delete=OnDelete.set_null)
    entry_year = Integer(null=True, default=None)
    major = Varchar(length=100, default="")
    class_name = Varchar(length=100, default="")
    student_no = Varchar(length=40, default="")
    note = Text(default="")
    evidence = JSONB(default="[]")  # storage keys of uploaded proof
    status = Varchar(length=16, default="open")  # open / questions / pending / verified / rejected / withdrawn
    method = Varchar(length=16, default="")  # id_match / questions / face / manual
    person = BigInt(null=True, default=None)  # rec_person.id once linked (or the candidate under review)
    question_attempts = Integer(default=0)
    questions = JSONB(default="{}")  # the questions being asked and the expected answers (hashed)
    realname = BigInt(null=True, default=None)  # idn_realname.id of the face check used
    reviewer = BigInt(null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    reason = Varchar(length=500, default="")  # rejection reason shown to the applicant
    verified_at = Timestamptz(null=True, default=None)


class IdnClient(Stamped, Table, tablename="idn_client"):
    """A third-party school app allowed to call the identity token API (client credentials)."""
    client_id = Varchar(length=64, unique=True)
    name = Varchar(length=100)
    secret_hash = Varchar(length=200)
    scopes = Array(base_column=Varchar(length=64), default=list)
    rate_per_minute = Integer(default=60)
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class IdnClientToken(Table, tablename="idn_client_token"):
    client = ForeignKey(IdnClient, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=128, unique=True)
    scopes = Array(base_column=Varchar(length=64), default=list)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
