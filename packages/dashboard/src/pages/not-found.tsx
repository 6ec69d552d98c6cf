import { Icons } from '../components/icons.js';
import { useSession } from '../session.js';
import { Link } from '../router.js';

/** The same page for a thing that does not exist and for another organisation's thing. */
export function NotFound({ what }: { what?: string }) {
  const { session } = useSession();
  const home = session?.orgs[0] ? `/orgs/${session.orgs[0].id}/instances` : '/';
  return (
    <div className="card">
      <div className="empty" role="alert">
        <div className="empty-icon" aria-hidden="true"><Icons.search /></div>
        <h1 style={{ fontSize: 18, marginBottom: 4 }}>Not found</h1>
        <p>{what ? `This ${what} does not exist, or you do not have access to it.` : 'This page does not exist, or you do not have access to it.'}</p>
        <Link className="btn" to={home}>Go to your instances</Link>
      </div>
    </div>
  );
}
