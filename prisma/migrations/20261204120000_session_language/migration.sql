-- The language of the page (or client) that started a session (Session.language), so a
-- shell opened later without one (an SSH client that sends no LANG) greets in it.

-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "language" TEXT;
