-- Labs uploaded by instructors, served beside the shipped ones. A workshop may follow a lab.
-- AlterTable
ALTER TABLE "Workshop" ADD COLUMN     "labLanguage" TEXT,
ADD COLUMN     "labSlug" TEXT;

-- CreateTable
CREATE TABLE "UploadedLab" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "language" TEXT NOT NULL,
    "instructorId" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UploadedLab_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "UploadedLab_instructorId_idx" ON "UploadedLab"("instructorId");

-- CreateIndex
CREATE UNIQUE INDEX "UploadedLab_slug_language_key" ON "UploadedLab"("slug", "language");

-- AddForeignKey
ALTER TABLE "UploadedLab" ADD CONSTRAINT "UploadedLab_instructorId_fkey" FOREIGN KEY ("instructorId") REFERENCES "Instructor"("id") ON DELETE CASCADE ON UPDATE CASCADE;


