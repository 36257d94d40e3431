import { Brand } from '@/components/brand';
import { StartSessionButton } from '@/components/start-session-button';

export default function LandingPage() {
  return (
    <div className="landing">
      <nav className="landing-nav">
        <Brand />
      </nav>
      <main className="landing-hero">
        <section>
          <div className="eyebrow">Docker playground</div>
          <h1>
            Docker in your browser, <span className="hl">in seconds.</span>
          </h1>
          <p className="pitch">
            Spin up throwaway Linux hosts with their own Docker engine, type into real terminals and open your app’s
            ports — no install, no sign-up.
          </p>
          <StartSessionButton offerTemplates />
          <p className="cta-note" style={{ marginTop: 14 }}>
            Sessions last 4 hours, then everything is deleted.
          </p>
          <div className="features">
            <div className="feature">
              <b>Real hosts</b>
              <span>Each instance runs its own Docker engine.</span>
            </div>
            <div className="feature">
              <b>Real terminals</b>
              <span>A full shell, copy &amp; paste included.</span>
            </div>
            <div className="feature">
              <b>Public ports</b>
              <span>Published ports get a URL to share.</span>
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
              <span className="a"># port 80 is now live at a public URL ↗</span>
              {'\n'}
              <span className="p">root@node1:~#</span> <span className="cursor" />
            </pre>
          </div>
        </section>
      </main>
      <footer className="landing-foot">
        <span>Playground — open source, self-hostable.</span>
        <span>Each session: up to a few instances, 4 hours.</span>
      </footer>
    </div>
  );
}
