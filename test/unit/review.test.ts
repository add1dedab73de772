import { expect } from 'chai';
import { decodeReview, ReviewError } from '../../src/admission/review.ts';
import { viewWorkload } from '../../src/objects/workload.ts';

describe('errors that quote the request', () => {
  const huge = 'K'.repeat(200_000);

  it('cut a huge kind or apiVersion short, and say how long it was', () => {
    for (const body of [{ apiVersion: 'admission.k8s.io/v1', kind: huge, request: { uid: 'u' } }, { apiVersion: huge, kind: 'AdmissionReview', request: { uid: 'u' } }]) {
      const err = (() => { try { decodeReview(body); } catch (e) { return e as ReviewError; } throw new Error('accepted'); })();
      expect(err).to.be.instanceOf(ReviewError);
      expect(err.message.length).to.be.below(300);
      expect(err.message).to.include('(200002 characters)');
    }
  });

  it('cut a huge annotation key short', () => {
    const object = { apiVersion: 'v1', kind: 'Pod', metadata: { annotations: { [huge]: 1 } }, spec: { containers: [] } };
    expect(() => viewWorkload(object)).to.throw(/^metadata\.annotations\["K{63}… \(200002 characters\)\]: expected a string$/);
  });

  it('still quote short values whole', () => {
    expect(() => decodeReview({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'u' } })).to.throw('got "admission.k8s.io/v1beta1"');
  });
});
