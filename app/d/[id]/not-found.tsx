import { InvalidDocIdPage } from '../../../components/InvalidDocIdPage';

/** Rendered (with HTTP 404) when `/d/<id>` has an id that is not a valid document id. */
export default function InvalidDocumentNotFound() {
  return <InvalidDocIdPage />;
}
