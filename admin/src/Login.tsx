/** Staff sign-in with email and password (POST /admin/auth/sign-in through the platform), and an
 * invited member's first sign-in, which asks for a new password (POST /admin/auth/new-password). */
import { useState } from "react";
import CardContent from "@mui/material/CardContent";
import Typography from "@mui/material/Typography";
import { Form, Login, PasswordInput, SaveButton, TextInput, useLogin, useNotify } from "react-admin";
import { ApiError } from "./api";
import { validate } from "./validation";

interface Challenge {
  email: string;
  session: string;
}

const sameAs = (value: unknown, values: Record<string, unknown>) =>
  value === values.new_password ? undefined : "The two passwords differ";

function SignInForm() {
  const login = useLogin();
  const notify = useNotify();
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const submit = async (values: Record<string, unknown>) => {
    try {
      await login(challenge ? { email: challenge.email, session: challenge.session, new_password: values.new_password } : values);
    } catch (error) {
      if (error instanceof ApiError && error.code === "NEW_PASSWORD_REQUIRED" && typeof error.problem.session === "string") {
        setChallenge({ email: String(values.email), session: error.problem.session });
        return;
      }
      notify(error instanceof Error ? error.message : String(error), { type: "error" });
    }
  };
  if (challenge) {
    return (
      <Form key="new-password" onSubmit={submit} mode="onSubmit">
        <CardContent>
          <Typography variant="body2" gutterBottom>
            Welcome, {challenge.email}. Choose your own password to finish signing in.
          </Typography>
          <PasswordInput source="new_password" label="New password" autoComplete="new-password" validate={validate.password} fullWidth />
          <PasswordInput source="confirm" label="New password again" autoComplete="new-password" validate={[...validate.password, sameAs]} fullWidth />
          <SaveButton label="Set password and sign in" icon={<></>} fullWidth alwaysEnable />
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
