export {
  genUserSig,
  userSigIdentifier,
  verifyUserSig,
  type GenUserSigOptions,
  type VerifyFailureReason,
  type VerifyOptions,
  type VerifyResult,
} from './userSig.js';
export {
  Privilege,
  genPrivateMapKey,
  parsePrivateMapKeyUserbuf,
  verifyPrivateMapKey,
  type PrivateMapKeyInfo,
  type PrivateMapKeyOptions,
  type VerifyPrivateMapKeyOptions,
  type VerifyPrivateMapKeyResult,
} from './privateMapKey.js';
