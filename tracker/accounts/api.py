"""Accounts API: tokens, the signed-in person, and account management."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from tracker.accounts import security, selectors, services, tokens, two_factor
from tracker.accounts.models import Role, User

auth_router = Router(tags=["auth"])
me_router = Router(tags=["me"])
users_router = Router(tags=["users"])


# --- schemas ----------------------------------------------------------------------------


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=254, description="Username or e-mail")
    password: str = Field(min_length=1, max_length=4096)
    otp: str | None = Field(
        default=None,
        max_length=32,
        description="For accounts with two-step sign-in: the authenticator app's code or a "
        "recovery code. Without it such accounts get 401 with `otp_required: true`.",
    )


class RefreshIn(Schema):
    refresh_token: str = Field(min_length=1, max_length=200)


class RevokeIn(Schema):
    token: str = Field(
        min_length=1, max_length=200, description="An access or refresh token of the sign-in"
    )


class TokenOut(Schema):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class NamedRef(Schema):
    id: int
    name: str


class MeOut(Schema):
    id: int
    username: str
    role: Role
    first_name: str
    last_name: str
    teaching_class: str = Field(alias="class")
    school: NamedRef | None
    branch: NamedRef | None
    email: str
    phone: str
    time_zone: str

    model_config = {"populate_by_name": True}

    @staticmethod
    def resolve_teaching_class(obj: User) -> str:
        return obj.teaching_class


class ProfileIn(Schema):
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    time_zone: str | None = Field(default=None, max_length=64)


class PasswordIn(Schema):
    current_password: str = Field(max_length=4096)
    new_password: str = Field(min_length=1, max_length=4096)


class SignInOut(Schema):
    id: str = Field(description='"browser-<n>" or "api-<n>", for DELETE /me/sessions/{id}')
    kind: str = Field(description="browser or api")
    device: str
    user_agent: str
    ip: str | None
    created_at: datetime
    last_seen_at: datetime | None
    current: bool = Field(description="The session or token making this request")


class UserOut(MeOut):
    is_active: bool
    date_joined: datetime
    last_login: datetime | None


class UserIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    email: str = Field(default="", max_length=254)
    role: Role = Role.TUTOR
    first_name: str = Field(default="", max_length=150)
    last_name: str = Field(default="", max_length=150)
    teaching_class: str = Field(default="", max_length=120, alias="class")
    school: int | None = None
    branch: int | None = None
    phone: str = Field(default="", max_length=32)
    time_zone: str = Field(default="", max_length=64)
    password: str | None = Field(
        default=None, max_length=4096, description="Leave out to e-mail an invitation link"
    )

    model_config = {"populate_by_name": True}


class UserPatch(Schema):
    username: str | None = Field(default=None, min_length=1, max_length=150)
    email: str | None = Field(default=None, max_length=254)
    role: Role | None = None
    is_active: bool | None = None
    first_name: str | None = Field(default=None, max_length=150)
    last_name: str | None = Field(default=None, max_length=150)
    teaching_class: str | None = Field(default=None, max_length=120, alias="class")
    school: int | None = None
    branch: int | None = None
    phone: str | None = Field(default=None, max_length=32)
    time_zone: str | None = Field(default=None, max_length=64)

    model_config = {"populate_by_name": True}


class UserFilters(Schema):
    role: Role | None = None
    active: bool | None = None
    search: str | None = Field(default=None, max_length=100)


# --- auth -------------------------------------------------------------------------------


@auth_router.post("/token", response=TokenOut, auth=None, summary="Sign in for tokens")
def token_obtain(request: HttpRequest, payload: TokenIn) -> tokens.TokenPair:
    user = services.signin_check(
        request=request, identifier=payload.username, password=payload.password
    )
    two_factor.api_signin_second_factor(user=user, code=payload.otp)
    return tokens.token_issue(user=user)


@auth_router.post("/refresh", response=TokenOut, auth=None, summary="Rotate a refresh token")
def token_refresh(request: HttpRequest, payload: RefreshIn) -> tokens.TokenPair:
    return tokens.token_refresh(refresh_token=payload.refresh_token)


@auth_router.post("/revoke", response={204: None}, auth=None, summary="Sign out a token's login")
def token_revoke(request: HttpRequest, payload: RevokeIn) -> Status:
    tokens.token_revoke(raw_token=payload.token)
    return Status(204, None)


# --- me ---------------------------------------------------------------------------------


@me_router.get("", response=MeOut, by_alias=True, summary="The signed-in person")
def me(request: HttpRequest) -> User:
    return request.user


@me_router.patch("", response=MeOut, by_alias=True, summary="Edit own contact details")
def me_update(request: HttpRequest, payload: ProfileIn) -> User:
    return services.profile_update(user=request.user, **payload.dict(exclude_none=True))


@me_router.post("/password", response={204: None}, summary="Change own password")
def me_password(request: HttpRequest, payload: PasswordIn) -> Status:
    services.password_change(
        user=request.user,
        current_password=payload.current_password,
        new_password=payload.new_password,
    )
    security.signins_end_after_password(
        user=request.user, keep_session_id=security.current_signin_id(request)
    )
    return Status(204, None)


@me_router.get("/sessions", response=list[SignInOut], summary="Where you're signed in")
def me_sessions(request: HttpRequest) -> list[security.SignIn]:
    return security.signins_for_user(
        user=request.user,
        current_session_id=security.current_signin_id(request),
        current_family_id=security.current_token_family_id(request),
    )


@me_router.delete(
    "/sessions/{session_id}", response={204: None}, summary="Sign out a browser or an app"
)
def me_session_revoke(request: HttpRequest, session_id: str) -> Status:
    security.signin_revoke(user=request.user, signin_id=session_id)
    return Status(204, None)


# --- users ------------------------------------------------------------------------------


@users_router.get("", response=list[UserOut], by_alias=True, summary="Accounts you manage")
@paginate(CursorPagination, ordering=("id",))
def users_list(request: HttpRequest, filters: Query[UserFilters]):
    return selectors.user_list(user=request.user, **filters.dict()).order_by("id")


@users_router.post("", response={201: UserOut}, by_alias=True, summary="Create an account")
def users_create(request: HttpRequest, payload: UserIn) -> Status:
    data = payload.dict()
    user = services.user_create(actor=request.user, **data)
    return Status(201, user)


@users_router.get("/{int:user_id}", response=UserOut, by_alias=True)
def users_detail(request: HttpRequest, user_id: int) -> User:
    return selectors.get_user_for_user(user=request.user, user_id=user_id)


@users_router.patch("/{int:user_id}", response=UserOut, by_alias=True)
def users_update(request: HttpRequest, user_id: int, payload: UserPatch) -> User:
    target = selectors.get_user_for_user(user=request.user, user_id=user_id)
    return services.user_update(actor=request.user, user=target, **payload.dict(exclude_unset=True))


@users_router.delete("/{int:user_id}", response={204: None})
def users_delete(request: HttpRequest, user_id: int) -> Status:
    services.user_delete(actor=request.user, user_id=user_id)
    return Status(204, None)
