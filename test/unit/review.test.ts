import { expect } from 'chai';
import { decodeReview, ReviewError } from '../../src/admission/review.ts';
import { viewWorkload } from '../../src/objects/workload.ts';

const reviewWith = (userInfo: unknown): unknown => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'u-7', operation: 'UPDATE', ...(userInfo === undefined ? {} : { userInfo }) },
});

function refusal(body: unknown): ReviewError {
  try {
    decodeReview(body);
  } catch (e) {
    return e as ReviewError;
  }
  throw new Error('accepted');
}

describe('request.userInfo', () => {
  // The governance rules decide on it: a malformed one must be refused, never read as "no requester" (an admin).
  const bad: [string, unknown, RegExp][] = [
    ['a username that is a number', { username: 42, groups: [] }, /request\.userInfo\.username must be a string/],
    ['a username that is a list', { username: ['alice'] }, /request\.userInfo\.username must be a string/],
    ['groups given as one string', { username: 'alice', groups: 'system:masters' }, /request\.userInfo\.groups must be a list of strings/],
    ['groups holding a number', { username: 'alice', groups: ['system:authenticated', 7] }, /request\.userInfo\.groups must be a list of strings/],
    ['groups holding an object', { username: 'alice', groups: [{ name: 'system:masters' }] }, /request\.userInfo\.groups must be a list of strings/],
    ['groups as a map', { username: 'alice', groups: { 0: 'system:masters' } }, /request\.userInfo\.groups must be a list of strings/],
    ['a userInfo that is a string', 'alice', /request\.userInfo must be an object/],
    ['a userInfo that is a list', ['alice'], /request\.userInfo must be an object/],
  ];
  for (const [what, userInfo, message] of bad) {
    it(`refuses ${what} with a 400 naming the field`, () => {
      const err = refusal(reviewWith(userInfo));
      expect(err).to.be.instanceOf(ReviewError);
      expect(err.status).to.equal(400);
      expect(err.uid).to.equal('u-7');
      expect(err.message).to.match(message);
    });
  }

  it('accepts a request without userInfo', () => {
    expect(decodeReview(reviewWith(undefined)).userInfo).to.equal(undefined);
  });

  it('accepts what the API server sends, and hands it on unchanged', () => {
    const userInfo = { username: 'alice', uid: '1f0c', groups: ['system:authenticated', 'team-a'], extra: { scopes: ['x'] } };
    expect(decodeReview(reviewWith(userInfo)).userInfo).to.deep.equal(userInfo);
  });

  it('accepts a userInfo without username or groups (anonymous shapes)', () => {
    expect(() => decodeReview(reviewWith({}))).not.to.throw();
    expect(() => decodeReview(reviewWith({ username: 'system:anonymous' }))).not.to.throw();
  });
});

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
