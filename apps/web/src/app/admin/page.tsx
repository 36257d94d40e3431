import type { Metadata } from 'next';
import { Brand } from '@/components/brand';
import { OperatorPanel } from '@/components/admin/operator-panel';

export const metadata: Metadata = { title: 'Operator' };

export default function AdminPage() {
  return (
    <div className="landing">
      <nav className="landing-nav">
        <Brand />
        <span>Operator</span>
      </nav>
      <main className="operator">
        <OperatorPanel />
      </main>
    </div>
  );
}
