//! Accounts (issue 14): sign-up with a one-time code, sessions with refresh tokens, password
//! change and reset, and customers created and looked up by agents, supervisors and partners.
//! Thin resolvers over `services::accounts`.

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::identity::{LoginPayload, User};
use super::scalars::{NodeType, key};
use super::{client_ip, env, services};
use crate::auth::codes::CodePurpose;
use crate::services::accounts::{self, LoginName};

/// A customer's own sign-up from the app (`registerCustomer`).
#[derive(InputObject)]
pub struct RegisterCustomerInput {
    /// The phone the code was sent to, in any common format.
    phone: String,
    /// The six-digit code from `requestVerificationCode(purpose: SIGN_UP)`.
    code: String,
    /// R-PRV-5: at least 10 characters, hard to guess, not the phone or e-mail.
    password: String,
    /// The customer's name as shown to staff (1–200 characters).
    name: String,
    /// Optional; then the customer may also log in by e-mail.
    email: Option<String>,
    /// The home service centre (from `serviceCentres`): reports and complaints go there by
    /// default. Required unless the desk already created the customer with one.
    service_centre_id: Option<ID>,
}

/// A customer who phoned, walked in or bought from a partner, created for them by staff or the
/// partner (`createCustomer`).
#[derive(InputObject)]
pub struct CreateCustomerInput {
    /// The customer's name (1–200 characters).
    name: String,
    /// Any common format (`+86 136 0000 0001`, `136-0000-0001`); stored in E.164. Unique among
    /// customers: a phone that has a customer already is `CONFLICT` (find them with
    /// `findCustomer`).
    phone: String,
    /// Optional e-mail, unique when given (`CONFLICT`).
    email: Option<String>,
    /// Agents and supervisors: their own centre (the default); partners: the customer's home
    /// centre, optional.
    service_centre_id: Option<ID>,
}

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// Agents and supervisors find a customer of their centre, partners one of their
    /// organization, by exact phone (any common format) or e-mail: give exactly one. Null when
    /// there is none the caller may see. Every lookup is recorded with who, when, from where
    /// and by what (R-PRV-3). Others: `FORBIDDEN`; anonymous: `UNAUTHENTICATED`.
    async fn find_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's phone in any common format; give this or `email`.")]
        phone: Option<String>,
        #[graphql(desc = "The customer's e-mail (any case); give this or `phone`.")] email: Option<
            String,
        >,
    ) -> Result<Option<User>> {
        let env = env(ctx)?;
        env.actor.require(&[
            entity::users::Role::Agent,
            entity::users::Role::Supervisor,
            entity::users::Role::Partner,
        ])?;
        let name = LoginName::parse(&env, email.as_deref(), phone.as_deref())?;
        Ok(accounts::find_customer(&env, &name, client_ip(ctx))
            .await?
            .map(User))
    }
}

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Sends a six-digit one-time code, valid for `CODE_TTL_SECONDS` (10 minutes) and
    /// `CODE_MAX_ATTEMPTS` (5) tries, replacing any earlier one: for `SIGN_UP` to `phone`, for
    /// `PASSWORD_RESET` to the account's `phone` or `email` (give exactly one). Anyone may call
    /// it; the answer is `true` whether or not an account exists. At most
    /// `CODE_RATE_PER_DESTINATION_PER_HOUR` codes per phone or address and
    /// `CODE_RATE_PER_ADDRESS_PER_HOUR` requests per client address (`RATE_LIMITED`).
    async fn request_verification_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the code is for: signing up or resetting a password.")]
        purpose: CodePurpose,
        #[graphql(desc = "Where to send it by SMS, any common format; give this or `email`.")]
        phone: Option<String>,
        #[graphql(desc = "Where to send it by e-mail; give this or `phone`.")] email: Option<
            String,
        >,
    ) -> Result<bool> {
        let env = env(ctx)?;
        let name = LoginName::parse(&env, email.as_deref(), phone.as_deref())?;
        accounts::request_code(
            &env,
            &services(ctx)?.accounts,
            purpose,
            &name,
            client_ip(ctx),
        )
        .await?;
        Ok(true)
    }

    /// A customer signs up from the app with the code sent to their phone, and is logged in.
    /// If the desk or a partner created a customer with this phone before, the sign-up takes
    /// over that account (and its tickets). Wrong or expired code: `BAD_USER_INPUT` (`code`);
    /// the phone already has an account with a password: `CONFLICT`.
    async fn register_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Phone, code, password, name and home centre.")]
        input: RegisterCustomerInput,
    ) -> Result<LoginPayload> {
        let env = env(ctx)?;
        let svc = services(ctx)?;
        let session = accounts::register_customer(
            &env,
            &svc.accounts,
            &svc.tokens,
            accounts::SignUp {
                phone: input.phone,
                code: input.code,
                password: input.password,
                name: input.name,
                email: input.email,
                service_centre_id: input
                    .service_centre_id
                    .map(|c| key(&c, NodeType::ServiceCentre))
                    .transpose()?,
            },
        )
        .await?;
        Ok(session.into())
    }

    /// Exchanges a refresh token for a new access token and a new refresh token; the one sent
    /// is used up. A used-up token sent again ends the whole session, for whoever holds any of
    /// its tokens (`UNAUTHENTICATED`, `extensions.reason: REFRESH_TOKEN_REUSED`); an expired,
    /// revoked or unknown one is `UNAUTHENTICATED`.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The newest refresh token of the session (`LoginPayload.refreshToken`).")]
        refresh_token: String,
    ) -> Result<LoginPayload> {
        let env = env(ctx)?;
        let svc = services(ctx)?;
        Ok(
            accounts::refresh_session(&env, &svc.accounts, &svc.tokens, &refresh_token)
                .await?
                .into(),
        )
    }

    /// Ends the session of this refresh token (it and every token renewed from it). Always
    /// `true`; the access token in hand works until it expires.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Any refresh token of the session to end.")] refresh_token: String,
    ) -> Result<bool> {
        accounts::logout(&env(ctx)?, &refresh_token).await?;
        Ok(true)
    }

    /// The logged-in user changes their password, giving the current one (a wrong one is
    /// `BAD_USER_INPUT` on `oldPassword`, throttled like logins). Every session of the account
    /// ends; the answer is a new one. Partners: `FORBIDDEN`; anonymous: `UNAUTHENTICATED`.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The current password.")] old_password: String,
        #[graphql(desc = "The new password; the password policy applies (R-PRV-5).")]
        new_password: String,
    ) -> Result<LoginPayload> {
        let env = env(ctx)?;
        let svc = services(ctx)?;
        let session = accounts::change_password(
            &env,
            &svc.accounts,
            &svc.tokens,
            &svc.login_throttle,
            old_password,
            new_password,
            client_ip(ctx),
        )
        .await
        .map_err(as_new_password)?;
        Ok(session.into())
    }

    /// Sets a new password with the code from `requestVerificationCode(purpose:
    /// PASSWORD_RESET)` sent to the account's phone or e-mail (give the same one). Every session
    /// of the account ends; log in again. A wrong or expired code and an unknown account are
    /// the same `BAD_USER_INPUT` (`code`).
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The phone the code was sent to; give this or `email`.")] phone: Option<
            String,
        >,
        #[graphql(desc = "The e-mail the code was sent to; give this or `phone`.")] email: Option<
            String,
        >,
        #[graphql(
            desc = "The six-digit code from `requestVerificationCode(purpose: PASSWORD_RESET)`."
        )]
        code: String,
        #[graphql(desc = "The new password; the password policy applies (R-PRV-5).")]
        new_password: String,
    ) -> Result<bool> {
        let env = env(ctx)?;
        let name = LoginName::parse(&env, email.as_deref(), phone.as_deref())?;
        accounts::reset_password(&env, &services(ctx)?.accounts, &name, &code, new_password)
            .await
            .map_err(as_new_password)?;
        Ok(true)
    }

    /// Agents and supervisors create a customer of their centre who phoned or walked in;
    /// partners one of their organization. The customer has no password: they sign up from
    /// the app with the same phone to claim the account. Recorded in the audit log. Others:
    /// `FORBIDDEN`; anonymous: `UNAUTHENTICATED`.
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's name, phone and optional e-mail and centre.")]
        input: CreateCustomerInput,
    ) -> Result<User> {
        let env = env(ctx)?;
        let customer = accounts::create_customer(
            &env,
            accounts::NewCustomer {
                name: input.name,
                phone: input.phone,
                email: input.email,
                service_centre_id: input
                    .service_centre_id
                    .map(|c| key(&c, NodeType::ServiceCentre))
                    .transpose()?,
            },
            client_ip(ctx),
        )
        .await?;
        Ok(User(customer))
    }
}

/// The password policy's error names `password`; these mutations call the field `newPassword`.
fn as_new_password(err: crate::error::ApiError) -> crate::error::ApiError {
    match err {
        crate::error::ApiError::BadUserInput {
            field: "password",
            message,
        } => crate::error::ApiError::BadUserInput {
            field: "newPassword",
            message,
        },
        other => other,
    }
}
