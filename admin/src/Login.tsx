/** Staff sign-in (POST /admin/auth/sign-in through the platform) and the steps the staff pool may ask
 * for after a right password, each answering the step before with its session:
 * - an invited member's first sign-in asks for a new password (POST /admin/auth/new-password);
 * - the staff pool requires an authenticator app: the first time, its secret is shown (text and
 *   otpauth:// link, POST /admin/auth/mfa/setup) and its first code completes the setup
 *   (POST /admin/auth/mfa/verify); from then on every sign-in asks for its code (POST /admin/auth/mfa). */
import { useState } from "react";
import CardContent from "@mui/material/CardContent";
import Link from "@mui/material/Link";
import Typography from "@mui/material/Typography";
import { Form, Login, PasswordInput, SaveButton, TextInput, useLogin, useNotify } from "react-admin";
import { ApiError, request } from "./api";
import { validate } from "./validation";

interface MfaSetup {
  secret: string;
  otpauth_uri: string;
  session: string;
}

type Step =
  | { kind: "password" }
  | { kind: "new-password"; email: string; session: string }
  | { kind: "mfa-setup"; email: string; session: string; secret: string; uri: string }
  | { kind: "mfa"; email: string; session: string };

const sameAs = (value: unknown, values: Record<string, unknown>) =>
  value === values.new_password ? undefined : "The two passwords differ";

const codeInput = (
  <TextInput source="code" label="Code from the app" autoComplete="one-time-code" validate={validate.totpCode} fullWidth autoFocus />
);

/** The secret in groups of four, as authenticator apps ask for it typed. */
const grouped = (secret: string) => secret.replace(/=+$/, "").replace(/(.{4})(?=.)/g, "$1 ");

function SignInForm() {
  const login = useLogin();
  const notify = useNotify();
  const [step, setStep] = useState<Step>({ kind: "password" });
  const fail = (error: unknown) => notify(error instanceof Error ? error.message : String(error), { type: "error" });

  /** The answer of a step that asks for another: the next form, or false when it is not one. */
  const next = async (email: string, error: unknown): Promise<boolean> => {
    if (!(error instanceof ApiError) || typeof error.problem.session !== "string") return false;
    const session = error.problem.session;
    switch (error.code) {
      case "NEW_PASSWORD_REQUIRED":
        setStep({ kind: "new-password", email, session });
        return true;
      case "MFA_SETUP_REQUIRED": {
        const setup = await request<MfaSetup>("/admin/auth/mfa/setup", { method: "POST", body: { session }, anonymous: true });
        setStep({ kind: "mfa-setup", email, session: setup.session, secret: setup.secret, uri: setup.otpauth_uri });
        return true;
      }
      case "MFA_REQUIRED":
        setStep({ kind: "mfa", email, session });
        return true;
      case "INVALID_MFA_CODE":
        // the same step again, with the session the refusal gave back
        setStep((current) => ("session" in current ? { ...current, session } : current));
        fail(error);
        return true;
    }
    return false;
  };

  const submit = async (values: Record<string, unknown>) => {
    const email = step.kind === "password" ? String(values.email ?? "") : step.email;
    try {
      switch (step.kind) {
        case "password":
          await login(values);
          break;
        case "new-password":
          await login({ email, session: step.session, new_password: values.new_password });
          break;
        case "mfa-setup":
          await login({ email, session: step.session, code: String(values.code ?? "").trim(), setup: true });
          break;
        case "mfa":
          await login({ email, session: step.session, code: String(values.code ?? "").trim() });
          break;
      }
    } catch (error) {
      try {
        if (await next(email, error)) return;
      } catch (setupError) {
        fail(setupError);
        setStep({ kind: "password" });
        return;
      }
      if (error instanceof ApiError && error.code === "INVALID_SESSION") setStep({ kind: "password" });
      fail(error);
    }
  };

  switch (step.kind) {
    case "new-password":
      return (
        <Form key="new-password" onSubmit={submit} mode="onSubmit">
          <CardContent>
            <Typography variant="body2" gutterBottom>
              Welcome, {step.email}. Choose your own password to finish signing in.
            </Typography>
            <PasswordInput source="new_password" label="New password" autoComplete="new-password" validate={validate.password} fullWidth />
            <PasswordInput source="confirm" label="New password again" autoComplete="new-password" validate={[...validate.password, sameAs]} fullWidth />
            <SaveButton label="Set password and sign in" icon={<></>} fullWidth alwaysEnable />
          </CardContent>
        </Form>
      );
    case "mfa-setup":
      return (
        <Form key="mfa-setup" onSubmit={submit} mode="onSubmit">
          <CardContent>
            <Typography variant="body2" gutterBottom>
              Staff accounts need an authenticator app (Google Authenticator, 1Password, ...). Add this account to it with the
              key below, or open the link on the phone that has the app, then type the code it shows.
            </Typography>
            <Typography variant="body1" component="code" data-testid="mfa-secret" sx={{ display: "block", my: 1, fontFamily: "monospace" }}>
              {grouped(step.secret)}
            </Typography>
            <Link href={step.uri} variant="body2" data-testid="mfa-uri" data-secret={step.secret}>
              Open in an authenticator app
            </Link>
            {codeInput}
            <SaveButton label="Verify and sign in" icon={<></>} fullWidth alwaysEnable />
          </CardContent>
        </Form>
      );
    case "mfa":
      return (
        <Form key="mfa" onSubmit={submit} mode="onSubmit">
          <CardContent>
            <Typography variant="body2" gutterBottom>
              Enter the code your authenticator app shows for {step.email}.
            </Typography>
            {codeInput}
            <SaveButton label="Sign in" icon={<></>} fullWidth alwaysEnable />
          </CardContent>
        </Form>
      );
  }
  return (
    <Form key="sign-in" onSubmit={submit} mode="onSubmit">
      <CardContent>
        <TextInput source="email" label="Email" autoComplete="username" validate={validate.email} fullWidth autoFocus />
        <PasswordInput source="password" label="Password" autoComplete="current-password" validate={validate.password} fullWidth />
        <SaveButton label="Sign in" icon={<></>} fullWidth alwaysEnable />
      </CardContent>
    </Form>
  );
}

export const LoginPage = () => (
  <Login>
    <SignInForm />
  </Login>
);
