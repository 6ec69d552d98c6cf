/** The AWS-managed policies this local cloud knows, with their real documents. */

export interface ManagedPolicy {
  readonly arn: string;
  readonly name: string;
  readonly path: string;
  readonly policyId: string;
  readonly document: string;
}

const list: ManagedPolicy[] = [
  {
    arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    name: 'AdministratorAccess',
    path: '/',
    policyId: 'ANPAIWMBCKSKIEE64ZLYK',
    document: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
  },
  {
    arn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    name: 'AWSLambdaBasicExecutionRole',
    path: '/service-role/',
    policyId: 'ANPAJNCQGXC42545SKXIK',
    document: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
    }),
  },
];

export const managedPolicies: ReadonlyMap<string, ManagedPolicy> = new Map(list.map((p) => [p.arn, p]));
