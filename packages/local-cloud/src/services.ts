/**
 * The services a local cloud serves besides IAM and STS (which are always there, being part of
 * authentication): Lambda, API Gateway HTTP APIs and CloudWatch Logs, wired to each other, S3 and
 * DynamoDB.
 */
import { apiGatewayService } from './apigateway/index.js';
import { dynamoDbService } from './dynamodb/index.js';
import type { ServiceFactory } from './internal/contract.js';
import { lambdaService } from './lambda/index.js';
import { logsService } from './logs/index.js';
import { s3Service } from './s3/index.js';

export const defaultServices: readonly ServiceFactory[] = [lambdaService, apiGatewayService, logsService, s3Service, dynamoDbService];
