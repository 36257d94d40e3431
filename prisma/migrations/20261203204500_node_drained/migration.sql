-- Drain is the operator's choice, kept on the node itself (Node.drained). Until now a
-- returning node was drained if the newest node.drained / node.undrained audit event said so,
-- so pruning the audit history un-drained nodes. NodeStatus keeps only whether a node answers.
BEGIN;

-- AlterTable
ALTER TABLE "Node" ADD COLUMN     "drained" BOOLEAN NOT NULL DEFAULT false;

-- Drained now: a draining node, and a down node that would have come back draining (its
-- newest drain/undrain event is a drain). A ready node was never drained or was undrained.
UPDATE "Node" AS n SET "drained" = true
WHERE n."status" = 'draining'
   OR (n."status" = 'down' AND (
         SELECT e."type" FROM "AuditEvent" AS e
         WHERE e."nodeId" = n."id" AND e."type" IN ('node.drained', 'node.undrained')
         ORDER BY e."id" DESC
         LIMIT 1
       ) = 'node.drained');

UPDATE "Node" SET "status" = 'ready' WHERE "status" = 'draining';

-- AlterEnum
CREATE TYPE "NodeStatus_new" AS ENUM ('ready', 'down');
ALTER TABLE "public"."Node" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "Node" ALTER COLUMN "status" TYPE "NodeStatus_new" USING ("status"::text::"NodeStatus_new");
ALTER TYPE "NodeStatus" RENAME TO "NodeStatus_old";
ALTER TYPE "NodeStatus_new" RENAME TO "NodeStatus";
DROP TYPE "public"."NodeStatus_old";
ALTER TABLE "Node" ALTER COLUMN "status" SET DEFAULT 'ready';

COMMIT;
