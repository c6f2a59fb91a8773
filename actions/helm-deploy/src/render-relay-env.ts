/** Set (to its gate's socket) only in the environment helm gives kubeline's post-renderer relay. */
export const RENDER_RELAY_ENV = 'KUBELINE_HELM_RENDER_RELAY';
