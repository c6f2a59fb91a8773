// The parts of client-node kubeline uses, by name. A namespace import of the package counted every
// export as used, so the bundle kept all ~60 API groups (a 4.2 MB chunk parsed on every run that
// reaches the cluster); named re-exports let the bundler drop the rest.
export {
  AppsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  EventsV1Api,
  KubeConfig,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
  Watch,
} from '@kubernetes/client-node';
