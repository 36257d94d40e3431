-- CreateTable
CREATE TABLE "NodeCredential" (
    "nodeId" TEXT NOT NULL,
    "generation" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NodeCredential_pkey" PRIMARY KEY ("nodeId")
);
