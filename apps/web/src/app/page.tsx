import { getTranslations } from 'next-intl/server';
import { Brand } from '@/components/brand';
import { LanguageMenu } from '@/components/language-menu';
import { StartSessionButton } from '@/components/start-session-button';

export default async function LandingPage() {
  const t = await getTranslations('landing');
  return (
    <div className="landing">
      <nav className="landing-nav">
        <Brand />
        <LanguageMenu />
      </nav>
      <main className="landing-hero">
        <section>
          <div className="eyebrow">{t('eyebrow')}</div>
          <h1>
            {t.rich('headline', { hl: (chunks) => <span className="hl">{chunks}</span> })}
          </h1>
          <p className="pitch">
            {t('pitch')}
          </p>
          <StartSessionButton offerTemplates />
          <p className="cta-note" style={{ marginTop: 14 }}>
            {t('lifetime')}
          </p>
          <div className="features">
            <div className="feature">
              <b>{t('hostsTitle')}</b>
              <span>{t('hostsText')}</span>
            </div>
            <div className="feature">
              <b>{t('terminalsTitle')}</b>
              <span>{t('terminalsText')}</span>
            </div>
            <div className="feature">
              <b>{t('portsTitle')}</b>
              <span>{t('portsText')}</span>
            </div>
          </div>
        </section>
        <section aria-hidden="true">
          <div className="demo-window">
            <div className="demo-titlebar">
              <i />
              <i />
              <i />
              <span>node1 — 10.0.0.2</span>
            </div>
            <pre className="demo-body">
              <span className="p">root@node1:~#</span> <span className="c">docker run -d -p 80:80 nginx</span>
              {'\n'}
              <span className="d">Status: Downloaded newer image for nginx:latest</span>
              {'\n'}
              <span className="d">3f1c9a2b7e5d…</span>
              {'\n'}
              <span className="p">root@node1:~#</span> <span className="c">docker ps --format '{'{{.Image}}  {{.Ports}}'}'</span>
              {'\n'}nginx  0.0.0.0:80-&gt;80/tcp{'\n'}
              <span className="p">root@node1:~#</span> <span className="c">curl -s localhost | grep title</span>
              {'\n'}&lt;title&gt;Welcome to nginx!&lt;/title&gt;{'\n'}
              <span className="a"># {t('demoComment')}</span>
              {'\n'}
              <span className="p">root@node1:~#</span> <span className="cursor" />
            </pre>
          </div>
        </section>
      </main>
      <footer className="landing-foot">
        <span>{t('footerProject')}</span>
        <span>{t('footerLimits')}</span>
      </footer>
    </div>
  );
}
