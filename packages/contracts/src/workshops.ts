import { z } from 'zod';
import { INSTANCE_HOSTNAME, InstanceId, SessionId } from './ids.ts';
import { InstanceStatus, InstanceView, SessionStatus } from './api.ts';

// Instructors and workshops: the REST contract of /api/v1/instructors, /api/v1/me and
// /api/v1/workshops, shared by the orchestrator (which serves it), the instructor's and the
// learner's pages, the tests and the benchmark.
//
// Who may call what:
// - admin (Authorization: Bearer <ADMIN_TOKEN>): creates and lists instructors, sees every workshop;
// - an instructor (signed in through /api/auth/*, or Authorization: Bearer <instructor token>):
//   their own tokens and workshops only;
// - a learner (no account): joins by code; their session id is their capability, as for any session.

// ─── Instructors and their API tokens ────────────────────────────────────────────────────

export const Email = z.string().trim().toLowerCase().email('an email address').max(254);

/** POST /api/v1/instructors (admin). Without `password`, one is generated and shown once in the answer. */
export const CreateInstructorBody = z
  .object({
    email: Email,
    name: z.string().trim().min(1, 'a name').max(100),
    password: z.string().min(10, 'at least 10 characters').max(128).optional(),
  })
  .strict();
export type CreateInstructorBody = z.infer<typeof CreateInstructorBody>;

export const InstructorView = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  createdAt: z.string(),
});
export type InstructorView = z.infer<typeof InstructorView>;

/** 201 of POST /api/v1/instructors: `token` (an API token of the instructor) is shown only here. */
export const CreatedInstructorView = InstructorView.extend({
  token: z.string(),
  /** Present when the admin gave no password: the generated one, shown only here. */
  password: z.string().optional(),
});
export type CreatedInstructorView = z.infer<typeof CreatedInstructorView>;

/** GET /api/v1/me: who the caller is (an instructor, or the admin token). */
export const MeView = z.object({
  kind: z.enum(['instructor', 'admin']),
  id: z.string().nullable(),
  email: z.string().nullable(),
  name: z.string(),
});
export type MeView = z.infer<typeof MeView>;

/** Instructor API tokens start with this, so a leaked one is recognisable in logs and scanners. */
export const INSTRUCTOR_TOKEN_PREFIX = 'pgi_';

export const CreateTokenBody = z.object({ name: z.string().trim().min(1).max(80) }).strict();
export const TokenView = z.object({
  id: z.string(),
  name: z.string(),
  /** The first characters of the token, to tell tokens apart; the token itself is never shown again. */
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export type TokenView = z.infer<typeof TokenView>;
/** 201 of POST /api/v1/me/tokens: the token, shown once. */
export const CreatedTokenView = TokenView.extend({ token: z.string() });
export type CreatedTokenView = z.infer<typeof CreatedTokenView>;

/** POST /api/v1/labs: a lab in the format of labs/README.md; its language comes from its front matter. */
export const UploadLabBody = z
  .object({
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a slug: lowercase letters, digits and "-"'),
    markdown: z.string().min(1).max(256 * 1024),
  })
  .strict();

// ─── Workshops ───────────────────────────────────────────────────────────────────────────

export const WorkshopInstanceSpec = z
  .object({
    hostname: z.string().regex(INSTANCE_HOSTNAME, 'a lowercase hostname such as node1').max(31).optional(),
    /** An image the node mirror has; default (and today the only one): the playground's instance image. */
    image: z.string().min(1).max(200).optional(),
    /** A shell script run (bash, as root, in /root) in the instance before the learner sees it. */
    setup: z.string().max(64 * 1024).optional(),
    /** Files written before `setup` runs (a lab's template brings them). */
    files: z
      .array(z.object({ path: z.string().min(1).max(1024), content: z.string().max(256 * 1024), mode: z.string().regex(/^0?[0-7]{3}$/).optional() }).strict())
      .max(50)
      .optional(),
  })
  .strict();
export type WorkshopInstanceSpec = z.infer<typeof WorkshopInstanceSpec>;

export const WorkshopTemplate = z
  .object({ instances: z.array(WorkshopInstanceSpec).min(1, 'at least one instance').max(10) })
  .strict();
export type WorkshopTemplate = z.infer<typeof WorkshopTemplate>;

export const CreateWorkshopBody = z
  .object({
    title: z.string().trim().min(1, 'a title').max(120),
    seats: z.number().int().min(1).max(500),
    template: WorkshopTemplate.optional(),
    /** A lab to follow (GET /api/v1/labs): its template becomes the workshop's, and learners land on its steps. */
    lab: z.object({ slug: z.string().min(1).max(63), language: z.enum(['en', 'ko']).optional() }).strict().optional(),
    /** ISO time the class starts; seats are prepared automatically a few minutes before. */
    startsAt: z.string().datetime({ offset: true }).optional(),
    /** How long each learner's session lives from when they join; default 120. */
    durationMinutes: z.number().int().min(5).max(24 * 60).optional(),
  })
  .strict();
export type CreateWorkshopBody = z.infer<typeof CreateWorkshopBody>;

/** The lab a workshop follows: learners open /labs/<slug> on their seat's session. */
export const WorkshopLabView = z.object({ slug: z.string(), language: z.string() }).nullable();

/** `scheduled` before `startsAt`, `open` from then (or at once without one), `ended` once deleted/ended. */
export const WorkshopStatus = z.enum(['scheduled', 'open', 'ended']);
export type WorkshopStatus = z.infer<typeof WorkshopStatus>;

/** none → requested (the instructor asked) → granted (the learner accepted); the learner may revoke at any time. */
export const HelpState = z.enum(['none', 'requested', 'granted']);
export type HelpState = z.infer<typeof HelpState>;

export const LearnerView = z.object({
  id: z.string(),
  name: z.string(),
  /** The learner's session: active, closing, ended or lost. */
  status: SessionStatus,
  /** A terminal of the learner's is open right now. */
  connected: z.boolean(),
  joinedAt: z.string(),
  /** Last keystroke in any of their terminals (or the join). */
  lastActivityAt: z.string(),
  sessionId: SessionId,
  expiresAt: z.string(),
  help: HelpState,
  instances: z.array(z.object({ id: InstanceId, hostname: z.string(), status: InstanceStatus })),
});
export type LearnerView = z.infer<typeof LearnerView>;

export const BroadcastView = z.object({ message: z.string(), at: z.string() });
export type BroadcastView = z.infer<typeof BroadcastView>;

export const WorkshopView = z.object({
  id: z.string(),
  /** What learners type or follow: joinUrl is <PUBLIC_URL>/w/<code>. */
  code: z.string(),
  joinUrl: z.string(),
  title: z.string(),
  seats: z.number().int(),
  status: WorkshopStatus,
  startsAt: z.string().nullable(),
  durationMinutes: z.number().int(),
  createdAt: z.string(),
  template: WorkshopTemplate,
  lab: WorkshopLabView,
  /** Prepared seats nobody has taken yet whose instances are all running. */
  seatsReady: z.number().int(),
  /** Prepared seats still being made. */
  seatsPreparing: z.number().int(),
  /** Prepared seats whose making failed (their room is given back). */
  seatsFailed: z.number().int(),
  broadcast: BroadcastView.nullable(),
  instructor: z.object({ id: z.string(), name: z.string() }),
  learners: z.array(LearnerView),
});
export type WorkshopView = z.infer<typeof WorkshopView>;

export const WorkshopListView = z.object({
  workshops: z.array(WorkshopView.omit({ learners: true, template: true, lab: true }).extend({ learnersJoined: z.number().int() })),
});
export type WorkshopListView = z.infer<typeof WorkshopListView>;

/** Workshop codes: 8 characters a class can read off a projector (no 0/o, 1/l/i). */
export const WORKSHOP_CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export const WorkshopCode = z.string().trim().toLowerCase().regex(/^[a-hjkmnp-z2-9]{8}$/, 'an 8-character workshop code');

export const JoinWorkshopBody = z
  .object({
    code: WorkshopCode,
    name: z.string().trim().min(1, 'your name').max(60),
  })
  .strict();
export type JoinWorkshopBody = z.infer<typeof JoinWorkshopBody>;

/**
 * 201 of POST /api/v1/workshops/join (200 when the same browser comes back to its seat).
 * The learner's page is /p/<sessionId>.
 */
export const JoinedView = z.object({
  learnerId: z.string(),
  sessionId: SessionId,
  workshop: z.object({ id: z.string(), title: z.string() }),
  /** When the workshop follows a lab: the page to open is /labs/<slug> with this session (hostname → instance id). */
  lab: WorkshopLabView,
  instances: z.array(InstanceView),
  /** True when a prepared seat was taken (instances already running). */
  prepared: z.boolean(),
});
export type JoinedView = z.infer<typeof JoinedView>;

/** GET /api/v1/workshops/by-code/:code (no auth): what the join page shows before joining. */
export const WorkshopPublicView = z.object({
  title: z.string(),
  status: WorkshopStatus,
  startsAt: z.string().nullable(),
  instructor: z.string(),
  /** False when every seat is taken. */
  open: z.boolean(),
});
export type WorkshopPublicView = z.infer<typeof WorkshopPublicView>;

/** 409 `insufficient_capacity` of prepare carries how many seats the cluster can guarantee now. */
export const PrepareRefusal = z.object({
  error: z.object({ code: z.literal('insufficient_capacity'), message: z.string(), guaranteed: z.number().int() }),
});

export const BroadcastBody = z.object({ message: z.string().trim().min(1).max(500) }).strict();

/** A file pushed into every learner's first instance: `path` absolute or relative to /root. */
export const PushFileBody = z
  .object({
    path: z.string().min(1).max(1024),
    /** base64 */
    content: z.string().max(4 * 1024 * 1024),
  })
  .strict();

export const WorkshopExecBody = z.object({ command: z.string().min(1).max(16 * 1024) }).strict();

/** Per learner outcome of files and exec: `exitCode`/`output` for exec; `error` when it could not run. */
export const LearnerResult = z.object({
  learnerId: z.string(),
  name: z.string(),
  ok: z.boolean(),
  exitCode: z.number().int().nullable().optional(),
  output: z.string().optional(),
  error: z.string().optional(),
});
export type LearnerResult = z.infer<typeof LearnerResult>;
export const LearnerResultsView = z.object({ results: z.array(LearnerResult) });
export type LearnerResultsView = z.infer<typeof LearnerResultsView>;

/** POST /api/v1/workshops/:id/extend: more minutes for one learner (`learnerId`) or everyone. */
export const ExtendBody = z
  .object({ minutes: z.number().int().min(1).max(8 * 60), learnerId: z.string().optional() })
  .strict();

// ─── The learner's side of a workshop ────────────────────────────────────────────────────

/** GET /api/v1/sessions/:id/workshop: 404 when the session is not a workshop's. The page polls it. */
export const LearnerWorkshopView = z.object({
  workshop: z.object({ id: z.string(), title: z.string(), instructor: z.string() }),
  learner: z.object({ id: z.string(), name: z.string() }),
  broadcast: BroadcastView.nullable(),
  /** The instructor has a read-only view of one of this learner's terminals open. */
  watching: z.boolean(),
  help: HelpState,
});
export type LearnerWorkshopView = z.infer<typeof LearnerWorkshopView>;

/** POST /api/v1/sessions/:id/workshop/help: the learner accepts (true) or declines/revokes (false). */
export const HelpAnswerBody = z.object({ allow: z.boolean() }).strict();
